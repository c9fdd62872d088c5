"""Parsing layer for news sources: feeds, sitemaps, OPML, front pages.

Pure functions over bytes our own guarded HTTP client already fetched; no
Django, no network, no file access. Each parser raises only its documented
ValueError subclass (FeedParseError, SitemapParseError, OpmlParseError).
"""

from .discover import (
    COMMON_FEED_PATHS,
    DiscoveredFeed,
    common_feed_urls,
    discover_feeds,
    sitemaps_from_robots,
)
from .feeds import DEFAULT_MAX_ITEMS, FeedEntry, FeedParseError, ParsedFeed, parse_feed
from .links import find_article_links, looks_like_article_url
from .opml import OpmlOutline, OpmlParseError, ParsedOpml, build_opml, parse_opml
from .sitemap import (
    GOOGLE_NEWS_NAMESPACE,
    MAX_SITEMAP_BYTES,
    MAX_SITEMAP_URLS,
    ParsedSitemap,
    SitemapEntry,
    SitemapParseError,
    parse_sitemap,
)
from .urls import TRACKING_PARAMS, canonical_url, registrable_domain, same_site

__all__ = [
    "COMMON_FEED_PATHS",
    "DEFAULT_MAX_ITEMS",
    "GOOGLE_NEWS_NAMESPACE",
    "MAX_SITEMAP_BYTES",
    "MAX_SITEMAP_URLS",
    "TRACKING_PARAMS",
    "DiscoveredFeed",
    "FeedEntry",
    "FeedParseError",
    "OpmlOutline",
    "OpmlParseError",
    "ParsedFeed",
    "ParsedOpml",
    "ParsedSitemap",
    "SitemapEntry",
    "SitemapParseError",
    "build_opml",
    "canonical_url",
    "common_feed_urls",
    "discover_feeds",
    "find_article_links",
    "looks_like_article_url",
    "parse_feed",
    "parse_opml",
    "parse_sitemap",
    "registrable_domain",
    "same_site",
    "sitemaps_from_robots",
]
