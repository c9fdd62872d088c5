from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from newsdesk.api import queries
from newsdesk.api.folding import contains_folded
from newsdesk.api.pagination import (
    CursorPage,
    CursorParams,
    OffsetPage,
    OffsetParams,
    cursor_page,
    offset_page,
)
from newsdesk.api.schemas import ArticleSummary, AuthorDetail, AuthorOut, errors, printable
from newsdesk.articles.models import Author

router = Router(tags=["authors"])
RECENT_ARTICLES = 10
# Longer than any name worth typing, shorter than Author.name (200).
MAX_NAME_QUERY = 100

# Each sort ends in the id, so a page boundary never falls between equal rows.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "recent": ("-latest_article_at", "name", "id"),
    "articles": ("-article_count", "name", "id"),
}


class AuthorFilters(Schema):
    q: str | None = Field(
        None,
        max_length=MAX_NAME_QUERY,
        description="part of the name, any case; plain text (no wildcards)",
    )
    outlet: str | None = Field(None, max_length=200, description="outlet slug")
    sort: Literal["name", "recent", "articles"] = Field(
        "name",
        description="name: A to Z; recent: newest article first; articles: most articles first",
    )

    @field_validator("q", "outlet")
    @classmethod
    def no_control_characters(cls, value: str | None) -> str | None:
        return printable(value)


def filtered(authors: QuerySet[Author], filters: AuthorFilters) -> QuerySet[Author]:
    if filters.q:
        # Escapes % and _ (and the backslash): the text is matched as it is.
        authors = contains_folded(authors, "name", filters.q)
    if filters.outlet:
        authors = authors.filter(outlet__slug=filters.outlet)
    return authors.order_by(*ORDERINGS[filters.sort])


@router.get(
    "/authors",
    response={200: OffsetPage[AuthorOut], **errors(422)},
    summary="List authors",
)
def list_authors(
    request: HttpRequest, filters: Query[AuthorFilters], page: Query[OffsetParams]
) -> dict[str, object]:
    """Authors with at least one original article, by name unless ``sort`` says otherwise
    (``recent``: newest article first; ``articles``: most articles first; ties by name).

    A copy of another article (``duplicate_of`` set: a wire story, an AMP page) counts for
    nobody: an author whose articles are all copies, such as a wire reporter's row at an
    outlet that republished the story, is not listed, and ``article_count`` and
    ``latest_article_at`` cover originals only. ``/authors/{author_id}/articles`` lists copies too.

    ``q`` matches anywhere in the name, ignoring case (for letters beyond ASCII, only on a
    server running PostgreSQL); ``%``, ``_`` and the like are plain text. ``outlet`` is an
    outlet slug (``/outlets``)."""
    authors = filtered(queries.authors(), filters)
    items = authors[page.offset : page.offset + page.limit]
    return offset_page(request, list(items), authors.count(), page)


@router.get(
    "/authors/{author_id}", response={200: AuthorDetail, **errors(404, 422)}, summary="One author"
)
def get_author(request: HttpRequest, author_id: int) -> Author:
    """The author's bio and most recent articles (all of them: ``/articles``)."""
    author = get_object_or_404(Author.objects.select_related("outlet"), pk=author_id)
    recent = queries.articles().filter(bylines__author=author)[:RECENT_ARTICLES]
    author.recent_articles = list(recent)  # type: ignore[attr-defined]
    return author


@router.get(
    "/authors/{author_id}/articles",
    response={200: CursorPage[ArticleSummary], **errors(400, 404, 422)},
    summary="An author's articles",
)
def author_articles(
    request: HttpRequest, author_id: int, page: Query[CursorParams]
) -> dict[str, object]:
    author = get_object_or_404(Author.objects.only("pk"), pk=author_id)
    return cursor_page(request, queries.articles().filter(bylines__author=author), page)
