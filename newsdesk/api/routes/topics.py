from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from newsdesk.api import queries
from newsdesk.api.pagination import (
    CursorPage,
    CursorParams,
    OffsetPage,
    OffsetParams,
    cursor_page,
    offset_page,
)
from newsdesk.api.schemas import ArticleSummary, TopicOut, errors
from newsdesk.topics.models import Topic

router = Router(tags=["topics"])


@router.get("/topics", response={200: OffsetPage[TopicOut], **errors(422)}, summary="List topics")
def list_topics(request: HttpRequest, page: Query[OffsetParams]) -> dict[str, object]:
    """By name."""
    items = queries.topics()[page.offset : page.offset + page.limit]
    return offset_page(request, list(items), Topic.objects.count(), page)


@router.get("/topics/{slug}", response={200: TopicOut, **errors(404)}, summary="One topic")
def get_topic(request: HttpRequest, slug: str) -> Topic:
    return get_object_or_404(queries.topics(), slug=slug)


@router.get(
    "/topics/{slug}/articles",
    response={200: CursorPage[ArticleSummary], **errors(400, 404, 422)},
    summary="A topic's articles",
)
def topic_articles(request: HttpRequest, slug: str, page: Query[CursorParams]) -> dict[str, object]:
    topic = get_object_or_404(Topic.objects.only("pk"), slug=slug)
    return cursor_page(request, queries.articles().filter(topics=topic), page)
