"""What can be followed at a URL someone gives us: the feed itself, or a site's feeds.

Every request goes through the guarded client (the ``get`` callable). A feed or sitemap
URL is followed as it is; for an HTML page the candidates are, in this order, the feeds
the page advertises (<link rel="alternate">), feeds found at the usual paths (probed only
when it advertises none), the sitemaps its robots.txt lists, and the page itself as an
HTML section page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from newsdesk.lib.http import FetchError, FetchRefused, Response
from newsdesk.sources.crawl import http_status_words
from newsdesk.sources.models import Source
from newsdesk.sources.parse import (
    FeedParseError,
    SitemapParseError,
    canonical_url,
    common_feed_urls,
    discover_feeds,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
)

Get = Callable[[str], Response]


class DiscoveryError(Exception):
    """The URL could not be fetched or read; the message is for the operator."""


@dataclass(frozen=True)
class Candidate:
    url: str
    kind: str  # a Source.Kind value
    title: str
    found: str  # how it was found, in words


@dataclass
class Inspection:
    url: str  # after redirects
    page_title: str = ""
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def direct(self) -> Candidate | None:
        """The URL itself, when it is a feed or sitemap: nothing to choose."""
        first = self.candidates[0] if self.candidates else None
        return first if first and first.found == "the address itself" else None


def inspect(url: str, get: Get) -> Inspection:
    response = _get_ok(url, get)
    itself = _as_listing(response)
    if itself is not None:
        return Inspection(response.url, itself.title, [itself])
    if not _looks_like_html(response):
        raise DiscoveryError(
            f"{response.url} is neither a feed, a sitemap nor a web page "
            f"({response.content_type or 'no content type'})"
        )
    found = Inspection(response.url, _page_title(response))
    seen: set[str] = set()
    advertised = [
        Candidate(feed.url, Source.Kind.FEED, feed.title or "", "advertised by the page")
        for feed in discover_feeds(response.body, response.url)
    ]
    for candidate in advertised or _probe_common_paths(response.url, get):
        _add(found, seen, candidate)
    for sitemap in _robots_sitemaps(response.url, get):
        _add(found, seen, Candidate(sitemap, Source.Kind.SITEMAP, "", "listed in robots.txt"))
    page = Candidate(response.url, Source.Kind.HTML, found.page_title, "the page itself")
    _add(found, seen, page)
    return found


def _add(found: Inspection, seen: set[str], candidate: Candidate) -> None:
    key = canonical_url(candidate.url)
    if key not in seen:
        seen.add(key)
        found.candidates.append(candidate)


def _get_ok(url: str, get: Get) -> Response:
    try:
        response = get(url)
    except FetchRefused as exc:
        raise DiscoveryError(f"Refused for safety: {exc.reason.removeprefix('refused: ')}") from exc
    except FetchError as exc:
        raise DiscoveryError(f"Could not fetch it: {exc.reason}") from exc
    if response.status >= 400:
        raise DiscoveryError(http_status_words(response.status, response.url))
    return response


def _as_listing(response: Response) -> Candidate | None:
    """The response as a feed or sitemap candidate, if it is one."""
    try:
        feed = parse_feed(response.body, response.url, response.content_type)
        return Candidate(response.url, Source.Kind.FEED, feed.title, "the address itself")
    except FeedParseError:
        pass
    if _looks_like_html(response):
        return None
    try:
        parse_sitemap(response.body, response.url)
    except SitemapParseError:
        return None
    return Candidate(response.url, Source.Kind.SITEMAP, "", "the address itself")


def _looks_like_html(response: Response) -> bool:
    head = response.body[:1024].lstrip().lower()
    return (response.content_type or "").endswith("html") or head.startswith(
        (b"<!doctype html", b"<html")
    )


def _page_title(response: Response) -> str:
    from lxml import html as lxml_html

    try:
        title = lxml_html.fromstring(response.body).findtext(".//title") or ""
    except (ValueError, TypeError, SyntaxError):
        return ""
    return " ".join(title.split())[:300]


def _probe_common_paths(page_url: str, get: Get) -> list[Candidate]:
    found = []
    for url in common_feed_urls(page_url):
        try:
            response = get(url)
        except FetchError:
            continue
        if response.status == 200:
            listing = _as_listing(response)
            if listing is not None and listing.kind == Source.Kind.FEED:
                found.append(Candidate(response.url, listing.kind, listing.title, "a usual path"))
    return found


def _robots_sitemaps(page_url: str, get: Get) -> list[str]:
    try:
        response = get(urljoin(page_url, "/robots.txt"))
    except FetchError:
        return []
    if response.status != 200:
        return []
    return sitemaps_from_robots(response.body.decode("utf-8", "replace"), response.url)
