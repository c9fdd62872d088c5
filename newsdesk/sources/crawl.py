"""Fetch one source and record what it lists.

This is the "fetch + parse" step for feeds, news sitemaps (and the newest sitemaps a
sitemap index lists, see sitemap_index.py) and HTML section pages. It never
raises for a bad source: every failure ends as a plain-words error on the Source row
(status, last_error, next attempt), so one broken outlet cannot stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.db import DataError, transaction
from django.utils import timezone

from newsdesk.db import claim_first
from newsdesk.lib.http import FetchError, FetchPolicy, FetchRefused, HttpClient, Response, fetch
from newsdesk.sources import schedule
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Source, SourceItem
from newsdesk.sources.parse import (
    FeedEntry,
    FeedParseError,
    ParsedSitemap,
    SitemapEntry,
    SitemapParseError,
    canonical_url,
    find_article_links,
    parse_feed,
    parse_sitemap,
)
from newsdesk.sources.sitemap_index import ChildFailed, IndexRead, follow_index
from newsdesk.sources.subscribers import subscriber_count

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
    url: str = ""


def crawl_source(
    source: Source,
    now: dt.datetime | None = None,
    policy: FetchPolicy | None = None,
    client: HttpClient | None = None,
) -> CrawlResult:
    """Fetch, parse and record one source (the three steps of a crawl, in one call)."""
    now = now or timezone.now()
    fetched = fetch_source(source, policy, client, subscribers=subscriber_count(source))
    return record(source, fetched, now)


@dataclass(frozen=True)
class Fetched:
    """What fetching and parsing one source gave, before anything is written.

    Produced without touching the database, so the scheduler can fetch on many threads
    and record on one (SQLite has one writer; Django connections are per thread).
    """

    response: Response | None = None
    error: str = ""
    retry_after: float | None = None
    gone: bool = False
    listed: tuple[Listed, ...] = ()
    title: str = ""
    problems: tuple[str, ...] = ()  # read as far as possible; shown on the source
    ttl_minutes: int | None = None
    conditional: bool = True  # store the response's validators for the next poll


def fetch_source(
    source: Source,
    policy: FetchPolicy | None = None,
    client: HttpClient | None = None,
    subscribers: int | None = None,
) -> Fetched:
    """Network and parsing only: reads the source's URL, kind, validators and patterns."""
    started = _monotonic()
    try:
        response = _get(source, policy, client, subscribers)
    except FetchRefused as exc:
        return Fetched(error=f"Refused for safety: {_unprefixed(exc.reason)}")
    except FetchError as exc:
        return Fetched(error=f"Could not fetch it: {exc.reason}")
    if response.status == 304:
        return Fetched(response=response)
    if response.status == 410:
        return Fetched(response=response, gone=True)
    if response.status >= 400:
        return Fetched(
            response=response,
            error=http_status_words(response.status, response.url),
            retry_after=response.retry_after if response.status in (429, 503) else None,
        )
    children = ChildSitemaps.for_poll(policy, client, subscribers, started)
    try:
        listing = list_entries(source, response, children)
    except (FeedParseError, SitemapParseError, ValueError) as exc:
        return Fetched(response=response, error=f"Could not read it: {exc}")
    ttl = feed_ttl_minutes(response.body) if source.kind == Source.Kind.FEED else None
    return Fetched(
        response=response,
        listed=tuple(listing.entries),
        title=listing.title,
        problems=listing.problems,
        ttl_minutes=ttl,
        conditional=listing.conditional,
    )


_monotonic = time.monotonic  # a module attribute, so tests can run the poll's clock


@dataclass(frozen=True)
class ChildSitemaps:
    """How one poll fetches the sitemaps an index lists: plain GETs through the same
    guarded client and policy as the source (size cap, deadline, address checks)."""

    get: Callable[[str], Response]
    deadline: float  # the client's total deadline for one fetch
    started: float  # when the poll began (_monotonic)

    @classmethod
    def for_poll(
        cls,
        policy: FetchPolicy | None,
        client: HttpClient | None,
        subscribers: int | None,
        started: float,
    ) -> ChildSitemaps:
        # No validators: we keep none for these sitemaps (see _list_index), and a news
        # sitemap changes every few minutes anyway.
        if client is not None:
            return cls(
                lambda url: client.fetch(url, subscribers=subscribers),
                client.policy.deadline,
                started,
            )
        chosen = policy or policy_from_settings()
        return cls(
            lambda url: fetch(url, policy=chosen, subscribers=subscribers),
            chosen.deadline,
            started,
        )

    def may_start(self) -> bool:
        # One more fetch only within one deadline of the poll's start: the poll then ends
        # within two, which the per-host slot's lease (politeness.py) allows for.
        return _monotonic() - self.started < self.deadline

    def read(self, url: str) -> ParsedSitemap:
        try:
            response = self.get(url)
        except FetchRefused as exc:
            raise ChildFailed(f"refused for safety: {_unprefixed(exc.reason)}") from exc
        except FetchError as exc:
            raise ChildFailed(f"could not fetch it: {exc.reason}") from exc
        if response.status >= 400:
            raise ChildFailed(status_words(response.status))
        try:
            return parse_sitemap(response.body, response.url)
        except SitemapParseError as exc:
            raise ChildFailed(str(exc)) from exc


def _get(
    source: Source, policy: FetchPolicy | None, client: HttpClient | None, subscribers: int | None
) -> Response:
    etag, last_modified = source.etag or None, source.last_modified or None
    if client is not None:
        return client.fetch(
            source.url, subscribers=subscribers, etag=etag, last_modified=last_modified
        )
    return fetch(
        source.url,
        policy=policy or policy_from_settings(),
        subscribers=subscribers,
        etag=etag,
        last_modified=last_modified,
    )


def record(source: Source, fetched: Fetched, now: dt.datetime) -> CrawlResult:
    """Write one crawl's outcome on the source (and its new items)."""
    response = fetched.response
    if fetched.gone:
        return _record_gone(source, now)
    if fetched.error or response is None:
        return _record_error(source, now, fetched.error, retry_after=fetched.retry_after)
    if fetched.title and not source.title:
        source.title = fetched.title[:300]
    notes = _problems_words(fetched.problems)
    try:
        with transaction.atomic():
            new_items = _store_items(source, list(fetched.listed), now) if fetched.listed else 0
            return _record_success(
                source, now, response, new_items, fetched.ttl_minutes, notes, fetched.conditional
            )
    except DataError as exc:
        # Something the source said does not fit the database (PostgreSQL is stricter
        # than SQLite): the source shows it and the crawl goes on with the others.
        log.exception("could not store what %s lists", source.url)
        source.refresh_from_db()  # forget what the failed write had set on it
        words = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return _record_error(source, now, f"Could not store what it lists: {words}")


PROBLEMS_PREFIX = "Read with problems: "


def _problems_words(problems: tuple[str, ...]) -> str:
    if not problems:
        return ""
    shown = "; ".join(problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"{PROBLEMS_PREFIX}{shown}{more}"


def _unprefixed(reason: str) -> str:
    return reason[len("refused: ") :] if reason.startswith("refused: ") else reason


_STATUS_WORDS = {
    401: "the server wants a login we do not have",
    403: "the server refuses us access",
    404: "there is nothing at this address (not found)",
    429: "the server asked us to slow down",
    451: "the server may not show it for legal reasons",
    500: "the server had an internal error",
    502: "a gateway in front of the server failed",
    503: "the server is unavailable for now",
    504: "a gateway in front of the server timed out",
}


def http_status_words(status: int, url: str) -> str:
    """A plain-words line for an HTTP error status, for operators reading a source."""
    return f"{status_words(status)} ({url})"


def status_words(status: int) -> str:
    words = _STATUS_WORDS.get(status)
    if words is None:
        words = "the server had an error" if status >= 500 else "the server refused the request"
    return f"HTTP {status}: {words}"


# RSS 2.0 <ttl>: minutes the channel may be cached. Read from the first part of the body
# only (it belongs to <channel>, before the items) and with a regex, not a second parse.
_TTL_RE = re.compile(rb"<ttl>\s*(\d{1,6})\s*</ttl>", re.IGNORECASE)
_TTL_WINDOW = 16 * 1024


def feed_ttl_minutes(body: bytes) -> int | None:
    head = body[:_TTL_WINDOW]
    first_item = head.find(b"<item")
    match = _TTL_RE.search(head, 0, first_item if first_item >= 0 else len(head))
    return int(match.group(1)) or None if match else None


# As many links as the longest feed we read (parse.DEFAULT_MAX_ITEMS); a page's links
# and a sitemap's (or an index's sitemaps' together) articles alike.
MAX_PAGE_LINKS = 5_000
MAX_URL_LENGTH: int = SourceItem._meta.get_field("url").max_length or 2000


class Listing(NamedTuple):
    entries: list[Listed]
    title: str = ""
    problems: tuple[str, ...] = ()
    conditional: bool = True


def list_entries(
    source: Source, response: Response, children: ChildSitemaps | None = None
) -> Listing:
    """The entries a fetched source lists, its title and what was wrong with it.

    A sitemap index is followed through ``children`` (without them, it is an error)."""
    if source.kind == Source.Kind.SITEMAP:
        sitemap = parse_sitemap(response.body, response.url)
        if sitemap.kind == "index":
            return _list_index(source, response, sitemap, children)
        return _sitemap_listing(list(sitemap.entries), tuple(sitemap.problems))
    if source.kind == Source.Kind.HTML:
        return _list_links(source, response)
    feed = parse_feed(response.body, response.url, response.content_type)
    return _fitting([_from_feed_entry(e) for e in feed.items], feed.title, tuple(feed.problems))


def _sitemap_listing(
    entries: list[SitemapEntry], problems: tuple[str, ...], conditional: bool = True
) -> Listing:
    # One sitemap may list 50,000 URLs: no more page fetches than the longest feed gives.
    if len(entries) > MAX_PAGE_LINKS:
        entries = entries[:MAX_PAGE_LINKS]
        problems = (
            *problems,
            f"more than {MAX_PAGE_LINKS} articles are listed; only the first "
            f"{MAX_PAGE_LINKS} were read",
        )
    listed = [
        Listed(
            url=entry.url,
            guid=canonical_url(entry.url),
            title=entry.news_title or "",
            published=entry.news_published or entry.lastmod,
            categories=tuple(entry.news_keywords),
        )
        for entry in entries
    ]
    fitting = _fitting(listed, "", problems)
    return fitting._replace(conditional=conditional)


def _list_index(
    source: Source, response: Response, index: ParsedSitemap, children: ChildSitemaps | None
) -> Listing:
    if children is None:
        raise SitemapParseError("this is a sitemap index, and its sitemaps were not followed")
    found = follow_index(
        index, source.url, response.url, children.read, may_start=children.may_start
    )
    if not found.read:
        raise SitemapParseError(_index_failure_words(index, found))
    offsite = _offsite_words(found.offsite)
    problems = (*found.failures, *offsite, *found.problems, *index.problems)
    # The index's validators are not kept: a 304 for it would say nothing about the
    # sitemaps it lists, which change without it (an index without <lastmod>, or a
    # static file naming "news.xml", never changes). So the index, a small document,
    # is read in full each poll, then its newest sitemaps, for which we keep no
    # validators either.
    return _sitemap_listing(found.entries, problems, conditional=False)


def _offsite_words(offsite: list[str]) -> tuple[str, ...]:
    if not offsite:
        return ()
    count = f"{len(offsite)} sitemaps" if len(offsite) > 1 else "1 sitemap"
    return (f"not followed: {count} on another site, e.g. {offsite[0][:200]}",)


def _index_failure_words(index: ParsedSitemap, found: IndexRead) -> str:
    """Why an index gave no sitemap of articles: an error on the source, not an "OK"
    that never lists anything."""
    if found.failures:
        more = f" (and {len(found.failures) - 1} more)" if len(found.failures) > 1 else ""
        return f"this sitemap index gave no articles: {found.failures[0]}{more}"
    if found.problems:
        return f"this sitemap index gave no articles: {found.problems[0]}"
    if not index.children:
        return "this sitemap index lists no sitemaps"
    offsite = f" ({_offsite_words(found.offsite)[0]})" if found.offsite else ""
    return f"this sitemap index names no other sitemap on its own site to read{offsite}"


def _list_links(source: Source, response: Response) -> Listing:
    # One page must not queue more page fetches than the longest feed we read.
    links = find_article_links(
        response.body,
        response.url,
        include=source.include_patterns,
        exclude=source.exclude_patterns,
        limit=MAX_PAGE_LINKS + 1,
    )
    problems: tuple[str, ...] = ()
    if len(links) > MAX_PAGE_LINKS:
        links = links[:MAX_PAGE_LINKS]
        problems = (
            f"the page links more than {MAX_PAGE_LINKS} articles; only the first "
            f"{MAX_PAGE_LINKS} were read",
        )
    return _fitting([Listed(url=link, guid=canonical_url(link)) for link in links], "", problems)


def _fitting(entries: list[Listed], title: str, problems: tuple[str, ...]) -> Listing:
    """The entries whose link fits the URL column: a cut link would name another page."""
    fitting = [entry for entry in entries if len(entry.url) <= MAX_URL_LENGTH]
    if len(fitting) < len(entries):
        count = len(entries) - len(fitting)
        problems = (
            *problems,
            f"{count} entries had a link over {MAX_URL_LENGTH} characters and were skipped",
        )
    return Listing(fitting, title, problems)


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
    source: Source,
    now: dt.datetime,
    response: Response,
    new_items: int,
    ttl: int | None = None,
    notes: str = "",
    conditional: bool = True,
) -> CrawlResult:
    # Cache-Control / Expires and the feed's <ttl> are lower bounds on the interval.
    # The schedule reads lower-case names; dict() of the client's case-insensitive
    # headers would keep the server's spelling ("Cache-Control") and miss them.
    headers = {name.lower(): value for name, value in response.headers.items()}
    next_at, interval = schedule.next_success_fetch(
        now, _recent_publication_times(source), headers, ttl
    )
    # Validators are stored even on 304: a server may rotate its ETag for the same body.
    source.etag = (response.etag or "")[:500] if conditional else ""
    source.last_modified = (response.last_modified or "")[:100] if conditional else ""
    source.status = Source.Status.OK
    # A 304 says nothing new about the body: keep what the last full read found.
    if response.status != 304 or not source.last_error.startswith(PROBLEMS_PREFIX):
        source.last_error = notes
    source.error_count = 0
    source.last_fetched_at = now
    source.last_success_at = now
    source.next_fetch_at = next_at
    source.interval_seconds = int(interval.total_seconds())
    source.save()
    message = "not modified" if response.status == 304 else f"{new_items} new items"
    log.info("crawled %s: %s", source.url, message)
    return CrawlResult(source.pk, True, new_items, message, source.url)


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
    return CrawlResult(source.pk, False, 0, message, source.url)


def _record_gone(source: Source, now: dt.datetime) -> CrawlResult:
    source.status = Source.Status.GONE
    source.last_error = "The server says this feed is gone for good (HTTP 410)."
    source.last_fetched_at = now
    # Checked again rarely, in case an operator revives it.
    source.next_fetch_at = now + schedule.MAX_INTERVAL * 7
    source.save(update_fields=["status", "last_error", "last_fetched_at", "next_fetch_at"])
    return CrawlResult(source.pk, False, 0, source.last_error, source.url)


def claim_due_source(now: dt.datetime, lease: dt.timedelta) -> Source | None:
    """Claim the most overdue source for one crawler: push its next_fetch_at by a lease with
    a conditional update, so concurrent crawlers never fetch the same URL at once. The
    crawl itself then sets the real next time. On PostgreSQL the candidate is read with
    SKIP LOCKED (newsdesk/db.py), so many crawlers claim different sources at once."""
    due = (
        Source.objects.filter(next_fetch_at__lte=now)
        .exclude(status=Source.Status.GONE)
        .order_by("next_fetch_at")
    )

    def take(source: Source) -> bool:
        claimed = Source.objects.filter(pk=source.pk, next_fetch_at=source.next_fetch_at).update(
            next_fetch_at=now + lease
        )
        if claimed == 1:
            source.next_fetch_at = now + lease
        return claimed == 1

    return claim_first(due, take)
