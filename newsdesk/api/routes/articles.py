from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from newsdesk.api import queries
from newsdesk.api.pagination import CursorPage, CursorParams, cursor_page
from newsdesk.api.schemas import ArticleDetail, ArticleSummary, errors
from newsdesk.articles.models import Article

router = Router(tags=["articles"])
# The largest id a database row can have (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class ArticleFilters(Schema):
    topic: str | None = Field(None, max_length=200, description="topic slug")
    outlet: str | None = Field(None, max_length=200, description="outlet slug")
    # Bounded: past a 64-bit integer the database driver raised (a 500, not a 422).
    author: int | None = Field(None, ge=1, le=MAX_ID, description="author id")
    since: dt.datetime | None = Field(None, description="published at or after (UTC if naive)")
    until: dt.datetime | None = Field(None, description="published before (UTC if naive)")
    language: str | None = Field(
        None, max_length=12, description='"en" also matches "en-GB" and other variants'
    )

    @field_validator("since", "until", mode="before")
    @classmethod
    def iso_8601(cls, value: object) -> object:
        if isinstance(value, str) and not ISO_DATE.match(value):
            raise ValueError("give a date or date-time as ISO 8601, e.g. 2026-03-01T08:00:00Z")
        return value

    @field_validator("since", "until")
    @classmethod
    def in_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        # Any offset pydantic reads (+17:25 is one) becomes UTC here: PostgreSQL refuses
        # offsets beyond ±15:59, and a value pushed past year 1 or 9999 is no date at all.
        if value is None:
            return None
        try:
            return aware(value).astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("that date and offset fall outside years 1 to 9999") from None


# ISO 8601 only: pydantic would also read a bare number as a Unix time.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def aware(value: dt.datetime) -> dt.datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def filtered(articles: QuerySet[Article], filters: ArticleFilters) -> QuerySet[Article]:
    if filters.topic:
        articles = articles.filter(topics__slug=filters.topic)
    if filters.outlet:
        articles = articles.filter(outlet__slug=filters.outlet)
    if filters.author is not None:
        articles = articles.filter(bylines__author_id=filters.author)
    if filters.since:
        articles = articles.filter(published_at__gte=aware(filters.since))
    if filters.until:
        articles = articles.filter(published_at__lt=aware(filters.until))
    if filters.language:
        lang = filters.language
        articles = articles.filter(Q(language__iexact=lang) | Q(language__istartswith=lang + "-"))
    return articles


@router.get(
    "/articles",
    response={200: CursorPage[ArticleSummary], **errors(400, 422)},
    summary="List articles",
)
def list_articles(
    request: HttpRequest, filters: Query[ArticleFilters], page: Query[CursorParams]
) -> dict[str, object]:
    """Newest first; follow ``next`` (or pass ``next_cursor`` as ``cursor``) for more."""
    return cursor_page(request, filtered(queries.articles(), filters), page)


@router.get(
    "/articles/{article_id}",
    response={200: ArticleDetail, **errors(404, 422)},
    summary="One article",
)
def get_article(request: HttpRequest, article_id: int) -> Article:
    return get_object_or_404(queries.articles(with_body=True), pk=article_id)
