"""Finding feeds for a site: <link rel="alternate"> in its HTML, the usual
feed paths to probe, and the Sitemap: lines of its robots.txt."""

from __future__ import annotations

from dataclasses import dataclass

from ._html import document_base, parse_html, web_url
from .urls import canonical_url

__all__ = [
    "COMMON_FEED_PATHS",
    "DiscoveredFeed",
    "common_feed_urls",
    "discover_feeds",
    "sitemaps_from_robots",
]

# Where CMSs put feeds by default (WordPress, Ghost, Hugo, Jekyll, Blogger,
# Substack, Medium-style sites); the caller probes them when a page
# advertises nothing.
COMMON_FEED_PATHS: tuple[str, ...] = (
    "/feed",
    "/feed/",
    "/rss",
    "/rss/",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/feeds/posts/default",
    "/?feed=rss2",
)

# RSS Advisory Board autodiscovery spec and the JSON Feed spec ("Discovery").
_FEED_TYPES: dict[str, str] = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "jsonfeed",
    "application/json": "jsonfeed",
}


@dataclass(frozen=True, slots=True)
class DiscoveredFeed:
    url: str
    title: str | None
    kind: str  # "rss", "atom" or "jsonfeed": what the page says it is


def _feed_href(href: str | None, base: str) -> str | None:
    if href and href.strip().lower().startswith("feed://"):
        href = "http://" + href.strip()[7:]  # the old feed: pseudo-scheme
    return web_url(href, base)


def discover_feeds(html: bytes | str, page_url: str) -> list[DiscoveredFeed]:
    """Feeds a page advertises, in document order, de-duplicated."""
    root = parse_html(html)
    if root is None:
        return []
    base = document_base(root, page_url)
    found: list[DiscoveredFeed] = []
    seen: set[str] = set()
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        media_type = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or media_type not in _FEED_TYPES:
            continue
        url = _feed_href(link.get("href"), base)
        if url is None or canonical_url(url) in seen:
            continue
        seen.add(canonical_url(url))
        title = " ".join((link.get("title") or "").split()) or None
        found.append(DiscoveredFeed(url, title, _FEED_TYPES[media_type]))
    return found


def common_feed_urls(page_url: str) -> list[str]:
    """COMMON_FEED_PATHS as absolute URLs on the page's site."""
    return [url for path in COMMON_FEED_PATHS if (url := web_url(path, page_url))]


def sitemaps_from_robots(robots_txt: str, base_url: str) -> list[str]:
    """Sitemap URLs from robots.txt "Sitemap:" lines (sitemaps.org, RFC 9309 2.2.4).

    The directive is case-insensitive and independent of user-agent groups;
    relative values are resolved against `base_url`, non-http(s) dropped.
    """
    found: list[str] = []
    for line in robots_txt.lstrip("\ufeff").splitlines():
        key, sep, value = line.partition(":")
        if not sep or key.strip().lower() not in ("sitemap", "site-map"):
            continue
        value = value.split("#", 1)[0].strip()  # a trailing comment is not part of it
        url = web_url(value, base_url) if value else None
        if url and url not in found:
            found.append(url)
    return found
