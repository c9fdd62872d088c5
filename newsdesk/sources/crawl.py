"""Fetch one source and record what it lists.

This is the "fetch + parse" step for feeds, news sitemaps and HTML section pages. It never
raises for a bad source: every failure ends as a plain-words error on the Source row
(status, last_error, next attempt), so one broken outlet cannot stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from newsdesk.lib.http import FetchError, FetchPolicy, FetchRefused, Response, fetch
from newsdesk.sources import schedule
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Source, SourceItem
from newsdesk.sources.parse import (
    FeedEntry,
    FeedParseError,
    SitemapParseError,
    canonical_url,
    find_article_links,
    parse_feed,
    parse_sitemap,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listed:
    """One entry a source lists, whatever kind of source it is."""

    url: str
    guid: str
    title: str = ""
    summary: str = ""
    published: dt.datetime | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrawlResult:
    source_id: int
    ok: bool
    new_items: int = 0
    message: str = ""


def crawl_source(
    source: Source, now: dt.datetime | None = None, policy: FetchPolicy | None = None
) -> CrawlResult:
    now = now or timezone.now()
    try:
        response = fetch(
            source.url,
            policy=policy or policy_from_settings(),
            etag=source.etag or None,
            last_modified=source.last_modified or None,
        )
    except FetchRefused as exc:
        return _record_error(source, now, f"Refused: {exc.reason}")
    except FetchError as exc:
        return _record_error(source, now, f"Could not fetch: {exc.reason}")

    if response.status == 304:
        return _record_success(source, now, response, new_items=0)
    if response.status == 410:
        return _record_gone(source, now)
    if response.status in (429, 503):
        return _record_error(
            source,
            now,
            f"Server asked us to slow down (HTTP {response.status})",
            retry_after=response.retry_after,
        )
    if response.status >= 400:
        return _record_error(source, now, f"HTTP {response.status} from {response.url}")

    try:
        listed = list_entries(source, response)
    except (FeedParseError, SitemapParseError) as exc:
        return _record_error(source, now, f"Could not read it: {exc}")
    new_items = _store_items(source, listed, now)
    return _record_success(source, now, response, new_items=new_items)


def list_entries(source: Source, response: Response) -> list[Listed]:
    if source.kind == Source.Kind.SITEMAP:
        sitemap = parse_sitemap(response.body, response.url)
        return [
            Listed(
                url=entry.url,
                guid=canonical_url(entry.url),
                title=entry.news_title or "",
                published=entry.news_published or entry.lastmod,
                categories=tuple(entry.news_keywords),
            )
            for entry in sitemap.entries
        ]
    if source.kind == Source.Kind.HTML:
        links = find_article_links(
            response.body,
            response.url,
            include=source.include_patterns,
            exclude=source.exclude_patterns,
        )
        return [Listed(url=link, guid=canonical_url(link)) for link in links]
    feed = parse_feed(response.body, response.url, response.content_type)
    if feed.title and not source.title:
        source.title = feed.title[:300]
    return [_from_feed_entry(entry) for entry in feed.items]


def _from_feed_entry(entry: FeedEntry) -> Listed:
    return Listed(
        url=entry.url,
        guid=entry.guid or canonical_url(entry.url),
        title=entry.title or "",
        summary=entry.summary or "",
        published=entry.published,
        authors=tuple(entry.authors),
        categories=tuple(entry.categories),
    )


def _store_items(source: Source, listed: list[Listed], now: dt.datetime) -> int:
    guids = [entry.guid[:2000] for entry in listed]
    known = set(
        SourceItem.objects.filter(source=source, guid__in=guids).values_list("guid", flat=True)
    )
    fresh = [
        SourceItem(
            source=source,
            guid=entry.guid[:2000],
            url=entry.url[:2000],
            title=entry.title[:1000],
            summary=entry.summary,
            published_at=entry.published,
            authors=list(entry.authors),
            categories=list(entry.categories),
            first_seen=now,
        )
        for entry in _unique_by_guid(listed)
        if entry.guid[:2000] not in known
    ]
    # ignore_conflicts: a second crawler racing us on the same source adds nothing twice.
    SourceItem.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _unique_by_guid(listed: list[Listed]) -> list[Listed]:
    seen: set[str] = set()
    unique = []
    for entry in listed:
        if entry.guid not in seen:
            seen.add(entry.guid)
            unique.append(entry)
    return unique


def _recent_publication_times(source: Source) -> list[dt.datetime]:
    return [
        when
        for when in SourceItem.objects.filter(source=source, published_at__isnull=False)
        .order_by("-published_at")
        .values_list("published_at", flat=True)[:200]
        if when is not None
    ]


@transaction.atomic
def _record_success(
    source: Source, now: dt.datetime, response: Response, new_items: int
) -> CrawlResult:
    next_at, interval = schedule.next_success_fetch(
        now, _recent_publication_times(source), dict(response.headers)
    )
    # Validators are stored even on 304: a server may rotate its ETag for the same body.
    source.etag = (response.etag or "")[:500]
    source.last_modified = (response.last_modified or "")[:100]
    source.status = Source.Status.OK
    source.last_error = ""
    source.error_count = 0
    source.last_fetched_at = now
    source.last_success_at = now
    source.next_fetch_at = next_at
    source.interval_seconds = int(interval.total_seconds())
    source.save()
    message = "not modified" if response.status == 304 else f"{new_items} new items"
    log.info("crawled %s: %s", source.url, message)
    return CrawlResult(source.pk, True, new_items, message)


def _record_error(
    source: Source, now: dt.datetime, message: str, retry_after: float | None = None
) -> CrawlResult:
    source.error_count += 1
    source.status = Source.Status.ERROR
    source.last_error = message
    source.last_fetched_at = now
    source.next_fetch_at = schedule.next_error_fetch(now, source.error_count, retry_after)
    source.save(
        update_fields=["error_count", "status", "last_error", "last_fetched_at", "next_fetch_at"]
    )
    log.warning("source %s failed: %s", source.url, message)
    return CrawlResult(source.pk, False, 0, message)


def _record_gone(source: Source, now: dt.datetime) -> CrawlResult:
    source.status = Source.Status.GONE
    source.last_error = "The server says this feed is gone for good (HTTP 410)."
    source.last_fetched_at = now
    # Checked again rarely, in case an operator revives it.
    source.next_fetch_at = now + schedule.MAX_INTERVAL * 7
    source.save(update_fields=["status", "last_error", "last_fetched_at", "next_fetch_at"])
    return CrawlResult(source.pk, False, 0, source.last_error)


def claim_due_source(now: dt.datetime, lease: dt.timedelta) -> Source | None:
    """Claim the most overdue source for one crawler: push its next_fetch_at by a lease with
    a conditional update, so concurrent crawlers never fetch the same URL at once. The
    crawl itself then sets the real next time."""
    for source in (
        Source.objects.filter(next_fetch_at__lte=now)
        .exclude(status=Source.Status.GONE)
        .order_by("next_fetch_at")[:10]
    ):
        claimed = Source.objects.filter(pk=source.pk, next_fetch_at=source.next_fetch_at).update(
            next_fetch_at=now + lease
        )
        if claimed == 1:
            source.next_fetch_at = now + lease
            return source
    return None
