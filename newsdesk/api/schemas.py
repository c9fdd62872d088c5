"""What the API returns and accepts.

Every URL taken from the web (article, canonical, image, outlet home, source) goes out
through ``http_url``: an absolute http(s) URL or null, so a ``javascript:`` or ``data:``
URL a feed slipped in is never handed to a client that might render it as a link.
Article ``html`` was sanitized when it was stored (articles/extract); ``highlight``
fields in search results are escaped text with our own ``<mark>`` tags only.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema

from newsdesk.articles.models import Article, Author
from newsdesk.web.health import describe_error
from newsdesk.web.templatetags.web_tags import safe_url


def printable(value: str | None) -> str | None:
    """An input string without control characters, stripped; None when blank.

    PostgreSQL refuses a NUL in a query parameter (a server error), and no slug, name or
    search holds a control character, so such input is refused before any query.
    """
    if value is None:
        return None
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("control characters (such as NUL or a line break) are not allowed")
    return value.strip() or None


def http_url(value: object) -> str | None:
    return safe_url(value) or None


def site_url(path: str) -> str:
    return settings.SITE_URL + path


class OutletRef(Schema):
    slug: str
    name: str


class TopicRef(Schema):
    slug: str
    name: str
    kind: str


class AuthorRef(Schema):
    id: int
    name: str
    slug: str


class ArticleSummary(Schema):
    id: int
    title: str
    snippet: str
    url: str | None
    canonical_url: str | None
    outlet: OutletRef
    authors: list[AuthorRef]
    credit: str = Field(
        description="the organisation or desk the page credits when it names no person "
        '("MND Staff"); empty when a person is named'
    )
    topics: list[TopicRef]
    language: str
    section: str
    image: str | None
    published_at: dt.datetime
    modified_at: dt.datetime | None
    duplicate_of: int | None
    web_url: str

    @staticmethod
    def resolve_url(obj: Article) -> str | None:
        return http_url(obj.url)

    @staticmethod
    def resolve_canonical_url(obj: Article) -> str | None:
        return http_url(obj.canonical_url)

    @staticmethod
    def resolve_image(obj: Article) -> str | None:
        return http_url(obj.image)

    @staticmethod
    def resolve_authors(obj: Article) -> list[Author]:
        # Bylines are prefetched with their authors, in printed order (api/queries.py).
        return [byline.author for byline in obj.bylines.all()]

    @staticmethod
    def resolve_topics(obj: Article) -> list[Any]:
        return list(obj.topics.all())

    @staticmethod
    def resolve_duplicate_of(obj: Article) -> int | None:
        return obj.duplicate_of_id

    @staticmethod
    def resolve_web_url(obj: Article) -> str:
        return site_url(obj.get_absolute_url())


class ArticleDetail(ArticleSummary):
    text: str
    # Sanitized before it was stored; safe to show as HTML.
    html: str
    fetched_at: dt.datetime


class TopicOut(Schema):
    slug: str
    name: str
    kind: str
    description: str
    query: str
    article_count: int
    web_url: str
    feeds: dict[str, str]

    @staticmethod
    def resolve_web_url(obj: Any) -> str:
        return site_url(obj.get_absolute_url())

    @staticmethod
    def resolve_feeds(obj: Any) -> dict[str, str]:
        return {
            kind: site_url(reverse(f"web:topic_{kind}", args=[obj.slug]))
            for kind in ("rss", "atom", "json")
        }


class AuthorDetail(Schema):
    id: int
    name: str
    slug: str
    bio: str
    outlet: OutletRef | None
    web_url: str
    articles: list[ArticleSummary]

    @staticmethod
    def resolve_web_url(obj: Author) -> str:
        return site_url(obj.get_absolute_url())

    @staticmethod
    def resolve_articles(obj: Any) -> list[Article]:
        return list(obj.recent_articles)


class AuthorOut(Schema):
    """An author in the list: no bio or articles, but their counts and where to read on."""

    id: int
    name: str
    slug: str
    outlet: OutletRef | None
    article_count: int = Field(..., description="original articles; copies are not counted")
    latest_article_at: dt.datetime = Field(..., description="the newest original's published_at")
    web_url: str
    api_url: str = Field(..., description="the author in this API: bio and recent articles")
    feeds: dict[str, str]

    @staticmethod
    def resolve_web_url(obj: Author) -> str:
        return site_url(obj.get_absolute_url())

    @staticmethod
    def resolve_api_url(obj: Author) -> str:
        return site_url(reverse("api:get_author", kwargs={"author_id": obj.pk}))

    @staticmethod
    def resolve_feeds(obj: Author) -> dict[str, str]:
        return {
            kind: site_url(reverse(f"web:author_{kind}", args=[obj.pk, obj.slug]))
            for kind in ("rss", "atom", "json")
        }


class SourceHealth(Schema):
    id: int
    url: str | None
    kind: str
    title: str
    status: str
    status_label: str
    last_fetched_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str
    # The error in one plain sentence (web/health.py), as the outlet page shows it.
    last_error_summary: str
    error_count: int
    next_attempt_at: dt.datetime
    page_error_count: int
    last_page_error: str

    @staticmethod
    def resolve_url(obj: Any) -> str | None:
        return http_url(obj.url)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_last_error_summary(obj: Any) -> str:
        return describe_error(obj.last_error)

    @staticmethod
    def resolve_next_attempt_at(obj: Any) -> dt.datetime:
        return obj.next_fetch_at


class OutletOut(Schema):
    slug: str
    name: str
    home_url: str | None
    article_count: int
    web_url: str

    @staticmethod
    def resolve_home_url(obj: Any) -> str | None:
        return http_url(obj.home_url)

    @staticmethod
    def resolve_web_url(obj: Any) -> str:
        return site_url(reverse("web:outlet", args=[obj.slug]))


class OutletDetail(OutletOut):
    sources: list[SourceHealth]

    @staticmethod
    def resolve_sources(obj: Any) -> list[Any]:
        return list(obj.sources.all())


class Error(Schema):
    """Every error body: a sentence, or for invalid input a list of field errors."""

    detail: Any


def errors(*codes: int) -> dict[int, type[Error]]:
    """Error answers an operation documents beside its success; always 400 (a NUL in the
    address, refused by web.middleware.RefuseNulMiddleware before any view) and 429 (rate
    limit)."""
    return {code: Error for code in sorted({*codes, 400, 429})}
