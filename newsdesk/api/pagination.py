"""Pages of results, at most MAX_LIMIT items each, in a stable order.

Lists of articles page by cursor: the last item's (published_at, id), so a client paging
back through the news while new articles arrive sees each article once. Other lists
(topics, outlets, search hits, follows) page by limit and offset over a total order.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from typing import Generic, TypeVar
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError

from newsdesk.articles.models import Article

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Deep offsets cost a scan each; beyond this, narrow the query instead.
MAX_OFFSET = 10_000


class OffsetParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class CursorParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=200, description="next_cursor of a page")


class OffsetPage(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    next: str | None
    items: list[T]


class CursorPage(Schema, Generic[T]):
    limit: int
    next_cursor: str | None
    next: str | None
    items: list[T]


def page_url(request: HttpRequest, **changes: object) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        params[key] = str(value)
    return request.build_absolute_uri(request.path + "?" + urlencode(sorted(params.items())))


def offset_page(
    request: HttpRequest, items: Sequence[T], count: int, params: OffsetParams
) -> dict[str, object]:
    end = params.offset + params.limit
    more = end < count and end <= MAX_OFFSET
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "next": page_url(request, offset=end) if more else None,
        "items": list(items),
    }


def encode_cursor(article: Article) -> str:
    raw = f"{article.published_at.isoformat()}|{article.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        published = dt.datetime.fromisoformat(when)
        if published.tzinfo is None:
            raise ValueError("naive time")
        return published, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(400, "Invalid cursor.") from None


def cursor_page(
    request: HttpRequest, articles: QuerySet[Article], params: CursorParams
) -> dict[str, object]:
    """One page of ``articles`` newest first, after ``params.cursor`` if given."""
    articles = articles.order_by("-published_at", "-id")
    if params.cursor:
        published, pk = decode_cursor(params.cursor)
        articles = articles.filter(
            Q(published_at__lt=published) | Q(published_at=published, id__lt=pk)
        )
    rows = list(articles[: params.limit + 1])
    items, more = rows[: params.limit], len(rows) > params.limit
    cursor = encode_cursor(items[-1]) if more else None
    return {
        "limit": params.limit,
        "next_cursor": cursor,
        "next": page_url(request, cursor=cursor) if cursor else None,
        "items": items,
    }
