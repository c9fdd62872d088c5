from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from newsdesk.api import queries
from newsdesk.api.pagination import CursorPage, CursorParams, cursor_page
from newsdesk.api.schemas import ArticleSummary, AuthorDetail, errors
from newsdesk.articles.models import Author

router = Router(tags=["authors"])
RECENT_ARTICLES = 10


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
