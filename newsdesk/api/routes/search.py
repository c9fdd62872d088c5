from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from newsdesk.api import search
from newsdesk.api.pagination import OffsetParams, offset_page
from newsdesk.api.schemas import ArticleSummary, errors

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = Field(
        ...,
        max_length=search.MAX_QUERY_LENGTH,
        description='words, "phrases", OR between terms, -word to exclude',
    )
    outlet: str | None = Field(None, max_length=200, description="outlet slug")
    topic: str | None = Field(None, max_length=200, description="topic slug")
    since: Literal["day", "week", "month", "year"] | None = None
    sort: Literal["relevance", "newest"] = "relevance"


class Highlight(Schema):
    # Escaped text; the only tags are <mark> around matched words.
    title_html: str
    snippet_html: str


class SearchHitOut(Schema):
    article: ArticleSummary
    highlight: Highlight


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class SearchPage(Schema):
    q: str
    count: int
    limit: int
    offset: int
    next: str | None
    items: list[SearchHitOut]
    facets: dict[str, list[FacetValueOut]]


@router.get("/search", response={200: SearchPage, **errors(400, 422)}, summary="Search articles")
def search_articles(
    request: HttpRequest, params: Query[SearchParams], page: Query[OffsetParams]
) -> dict[str, object]:
    """Best match first (``sort=newest`` for newest), with counts per outlet, topic and
    date range (``facets``); each facet's counts apply the other filters only."""
    result = search.search_articles(
        params.q,
        outlet=params.outlet or "",
        topic=params.topic or "",
        since=params.since or "",
        newest=params.sort == "newest",
        limit=page.limit,
        offset=page.offset,
    )
    if not result.usable:
        raise HttpError(400, "The query has no words to search for.")
    items = [
        {
            "article": hit.article,
            "highlight": {"title_html": hit.title_html, "snippet_html": hit.snippet_html},
        }
        for hit in result.hits
    ]
    page_body = offset_page(request, items, result.total, page)
    return {"q": params.q, "facets": result.facets, **page_body}
