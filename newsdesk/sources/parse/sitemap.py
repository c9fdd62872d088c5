"""XML sitemaps (https://www.sitemaps.org/protocol.html), sitemap indexes,
Google News sitemaps and gzip-compressed sitemaps.

Sitemaps.org caps a sitemap at 50,000 URLs and 50 MB uncompressed; we
enforce the size cap while decompressing, so a gzip bomb costs at most
50 MB of memory before it is refused.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from ._dates import parse_date
from ._html import web_url
from ._xml import localname, parse_untrusted_xml, text_of

__all__ = [
    "GOOGLE_NEWS_NAMESPACE",
    "MAX_SITEMAP_BYTES",
    "MAX_SITEMAP_URLS",
    "ParsedSitemap",
    "SitemapEntry",
    "SitemapParseError",
    "parse_sitemap",
]

GOOGLE_NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_SITEMAP_URLS = 50_000
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024


class SitemapParseError(ValueError):
    """The bytes could not be read as a sitemap; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    news_title: str | None = None
    news_published: datetime | None = None
    news_keywords: tuple[str, ...] = ()
    news_language: str | None = None
    publication_name: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    kind: str  # "urlset" or "index"
    entries: tuple[SitemapEntry, ...] = ()
    # An index's sitemaps, in document order: url and <lastmod>, nothing else.
    children: tuple[SitemapEntry, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def sitemaps(self) -> tuple[str, ...]:
        return tuple(child.url for child in self.children)


def _gunzip(body: bytes, limit: int, problems: list[str]) -> bytes:
    """Decompress every gzip member, refusing output beyond `limit` bytes."""
    output = bytearray()
    data = body
    while data[:2] == _GZIP_MAGIC:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = data
        while pending and not inflater.eof:
            try:
                chunk = inflater.decompress(pending, _CHUNK)
            except zlib.error as exc:
                raise SitemapParseError(f"the sitemap is not valid gzip ({exc})") from None
            output += chunk
            if len(output) > limit:
                raise SitemapParseError(
                    f"the sitemap is larger than {limit // (1024 * 1024)} MB once "
                    "decompressed; refused (sitemaps.org allows 50 MB)"
                )
            pending = inflater.unconsumed_tail
        if not inflater.eof:
            problems.append("the gzip data is truncated; read what was there")
            break
        data = inflater.unused_data
    return bytes(output)


def _decode_body(body: bytes, limit: int, problems: list[str]) -> bytes:
    if body[:2] == _GZIP_MAGIC:
        return _gunzip(body, limit, problems)
    if len(body) > limit:
        raise SitemapParseError(
            f"the sitemap is larger than {limit // (1024 * 1024)} MB; refused "
            "(sitemaps.org allows 50 MB)"
        )
    return body


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """First child element per local name (namespaces vary too much to trust)."""
    found: dict[str, etree._Element] = {}
    for child in element.iterchildren(etree.Element):
        found.setdefault(localname(child).lower(), child)
    return found


def _optional(element: etree._Element | None) -> str | None:
    return text_of(element) or None


def _news_entry(url: str, lastmod: datetime | None, news: etree._Element) -> SitemapEntry:
    """An entry with the Google News <news:news> block read
    (https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap)."""
    parts = _children(news)
    publication = _children(parts["publication"]) if "publication" in parts else {}
    keywords = text_of(parts.get("keywords"))
    return SitemapEntry(
        url,
        lastmod=lastmod,
        news_title=_optional(parts.get("title")),
        news_published=parse_date(text_of(parts.get("publication_date"))),
        news_keywords=tuple(word.strip() for word in keywords.split(",") if word.strip()),
        news_language=_optional(publication.get("language")),
        publication_name=_optional(publication.get("name")),
    )


def _entry(url_element: etree._Element, base: str) -> SitemapEntry | None:
    parts = _children(url_element)
    url = web_url(text_of(parts.get("loc")), base)
    if url is None:
        return None
    lastmod = parse_date(text_of(parts.get("lastmod")))
    news = parts.get("news")
    return _news_entry(url, lastmod, news) if news is not None else SitemapEntry(url, lastmod)


def _records(root: etree._Element, name: str) -> Iterator[etree._Element]:
    for child in root.iterchildren(etree.Element):
        if localname(child).lower() == name:
            yield child


def _collect(
    root: etree._Element, name: str, max_urls: int, problems: list[str]
) -> Iterator[etree._Element]:
    """The <url>/<sitemap> records, at most `max_urls` of them."""
    for count, record in enumerate(_records(root, name)):
        if count >= max_urls:
            problems.append(f"the sitemap lists more than {max_urls} URLs; the rest were ignored")
            return
        yield record


def _parse_urlset(
    root: etree._Element, url: str, max_urls: int, problems: list[str]
) -> ParsedSitemap:
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    skipped = duplicates = 0
    for record in _collect(root, "url", max_urls, problems):
        entry = _entry(record, url)
        if entry is None:
            skipped += 1
        elif entry.url in seen:
            duplicates += 1
        else:
            seen.add(entry.url)
            entries.append(entry)
    _count_problems(problems, skipped, duplicates)
    return ParsedSitemap("urlset", entries=tuple(entries), problems=tuple(problems))


def _parse_index(
    root: etree._Element, url: str, max_urls: int, problems: list[str]
) -> ParsedSitemap:
    children: list[SitemapEntry] = []
    seen: set[str] = set()
    skipped = duplicates = 0
    for record in _collect(root, "sitemap", max_urls, problems):
        parts = _children(record)
        loc = web_url(text_of(parts.get("loc")), url)
        if loc is None:
            skipped += 1
        elif loc in seen:
            duplicates += 1
        else:
            seen.add(loc)
            children.append(SitemapEntry(loc, parse_date(text_of(parts.get("lastmod")))))
    _count_problems(problems, skipped, duplicates)
    return ParsedSitemap("index", children=tuple(children), problems=tuple(problems))


def _count_problems(problems: list[str], skipped: int, duplicates: int) -> None:
    if skipped:
        problems.append(f"{skipped} entries had no http(s) <loc> and were skipped")
    if duplicates:
        problems.append(f"{duplicates} entries repeated an earlier URL and were dropped")


def _looks_like_text_sitemap(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:10].lower()
    return head.startswith((b"http://", b"https://"))


def _parse_text(data: bytes, url: str, max_urls: int, problems: list[str]) -> ParsedSitemap:
    """Sitemaps.org also allows a plain UTF-8 list of URLs, one per line."""
    lines = data.decode("utf-8", errors="replace").split()
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for line in lines:
        line = line.strip().lstrip("\ufeff")
        # The text format takes full URLs only, so nothing is resolved here.
        loc = web_url(line, url) if line.lower().startswith(("http://", "https://")) else None
        if loc and loc not in seen:
            seen.add(loc)
            entries.append(SitemapEntry(loc))
        if len(entries) >= max_urls:
            problems.append(f"the sitemap lists more than {max_urls} URLs; the rest were ignored")
            break
    return ParsedSitemap("urlset", entries=tuple(entries), problems=tuple(problems))


def parse_sitemap(
    body: bytes,
    url: str,
    *,
    max_bytes: int = MAX_SITEMAP_BYTES,
    max_urls: int = MAX_SITEMAP_URLS,
) -> ParsedSitemap:
    """Parse fetched sitemap bytes (plain or gzip); `url` resolves relative <loc>s.

    Raises SitemapParseError, and only that, when the bytes are not a sitemap.
    """
    problems: list[str] = []
    data = _decode_body(body, max_bytes, problems)
    if not data.strip():
        raise SitemapParseError("the sitemap is empty")
    if _looks_like_text_sitemap(data):
        return _parse_text(data, url, max_urls, problems)
    root, xml_problems = parse_untrusted_xml(data, "sitemap", SitemapParseError)
    problems.extend(xml_problems)
    name = localname(root).lower()
    if name == "urlset":
        return _parse_urlset(root, url, max_urls, problems)
    if name == "sitemapindex":
        return _parse_index(root, url, max_urls, problems)
    raise SitemapParseError(f"this is not a sitemap (its root element is <{name[:40]}>)")
