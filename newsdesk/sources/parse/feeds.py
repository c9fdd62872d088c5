"""RSS, Atom and JSON Feed parsing: bytes in, a `ParsedFeed` out.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, which is tolerant of the
broken XML real publishers serve. We never let feedparser near anything it
could fetch or open: it only ever sees an in-memory stream. Relative links
are resolved here, against the feed URL (and feedparser honours xml:base).
Before it sees the bytes we fix the encoding, refuse HTML, defuse DTD
entity declarations and cut absurdly long feeds down to `max_items`.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from ._dates import from_struct_time, parse_date
from ._encoding import decode_xml, to_utf8_xml
from ._feedmodel import (
    DEFAULT_MAX_ITEMS,
    EntryCollector,
    FeedEntry,
    FeedParseError,
    ParsedFeed,
    unique,
)
from ._html import web_url
from ._jsonfeed import looks_like_json_feed, parse_json_feed
from ._text import clean_text, html_to_text

__all__ = ["DEFAULT_MAX_ITEMS", "FeedEntry", "FeedParseError", "ParsedFeed", "parse_feed"]

_HTML_ROOTS = frozenset({"html", "head", "body"})
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")
_PROLOG_NOISE = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_HTML_DOCTYPE = re.compile(r"<!DOCTYPE\s+html\b", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)
_ITEM_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)(?=[\s/>])")
_TAG_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!.*?>|</\s*([^\s>]+)\s*>|<([^\s/>!?]+)[^>]*?(/?)>",
    re.DOTALL,
)


def _skip_prolog(text: str) -> int:
    position = 0
    while match := _PROLOG_NOISE.match(text, position):
        position = match.end()
    return position


def _is_html(text: str) -> bool:
    """Whether the document is an HTML page rather than XML that could be a feed."""
    head = text[_skip_prolog(text) : _skip_prolog(text) + 4096]
    if _HTML_DOCTYPE.match(head):
        return True
    first = _FIRST_TAG.search(head)
    return bool(first) and first.group(1).lower() in _HTML_ROOTS if first else False


def _doctype_span(text: str) -> tuple[int, int] | None:
    """Start and end of a DOCTYPE that has an internal subset ("[...]")."""
    limit = _FIRST_TAG.search(text)
    prolog_end = limit.start() if limit else len(text)
    match = _DOCTYPE.search(text, 0, prolog_end)
    if not match:
        return None
    bracket = text.find("[", match.end(), prolog_end)
    close = text.find(">", match.end(), prolog_end)
    if bracket == -1 or (close != -1 and close < bracket):
        return None  # an external DOCTYPE only; expat never fetches it
    end = text.find("]", bracket)
    end = text.find(">", end) if end != -1 else -1
    return (match.start(), (end + 1) if end != -1 else prolog_end)


def _defuse_doctype(text: str, problems: list[str]) -> str:
    """Remove internal DTD subsets, the carrier of XXE and billion-laughs attacks.

    Feeds have no legitimate need for entity declarations beyond HTML names
    like &nbsp;, which feedparser's fallback parser knows anyway.
    """
    span = _doctype_span(text)
    if span is None:
        return text
    problems.append("the feed declares its own XML entities; the declarations were ignored")
    return text[: span[0]] + text[span[1] :]


def _open_elements(prefix: str) -> list[str]:
    """Names of elements still open at the end of `prefix` (best effort)."""
    stack: list[str] = []
    for match in _TAG_TOKEN.finditer(prefix):
        closing, opening, self_closing = match.group(1), match.group(2), match.group(3)
        if opening and not self_closing:
            stack.append(opening)
        elif closing and closing in stack:
            while stack and stack.pop() != closing:
                pass
    return stack


def _truncate_items(text: str, max_items: int) -> tuple[str, bool]:
    """Cut the document before entry max_items + 1, closing what was open.

    feedparser spends ~0.15 ms per entry, so a 100,000-entry feed would take
    seconds; every entry shares the ancestors of the first one, so the tags
    open before the first entry are the ones to close after the cut.
    """
    first: re.Match[str] | None = None
    for count, match in enumerate(_ITEM_START.finditer(text)):
        if count == 0:
            first = match
        if count == max_items and first is not None:
            closers = "".join(
                f"</{name}>" for name in reversed(_open_elements(text[: first.start()]))
            )
            return text[: match.start()] + closers, True
    return text, False


def _kind(version: str) -> str | None:
    if version in ("rss090", "rss10"):
        return "rdf"
    if version.startswith("rss") or version == "cdf":
        return "rss"
    if version.startswith("atom"):
        return "atom"
    return None


def _run_feedparser(data: bytes) -> Any:
    # No Content-Location on purpose: feedparser would then resolve a relative
    # RSS <guid> into a URL and offer it as the link; we resolve links against
    # the feed URL ourselves, after checking where they came from.
    try:
        return feedparser.parse(
            io.BytesIO(data),  # a stream, never a str: feedparser fetches/opens strings
            response_headers={"content-type": "application/xml; charset=utf-8"},
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except Exception as error:  # any crash inside the third-party parser is a bad feed
        raise FeedParseError(f"the feed could not be parsed ({type(error).__name__})") from error


def _entry_link(entry: Any, base: str) -> str | None:
    raw_link = entry.get("link")
    if entry.get("guidislink") and raw_link == entry.get("id"):
        # feedparser copied a permalink <guid> into "link"; the guid rule
        # (absolute http(s) URLs only) decides about it instead.
        raw_link = None
    link = web_url(raw_link, base)
    if link:
        return link
    for candidate in entry.get("links") or ():
        if isinstance(candidate, dict) and candidate.get("rel", "alternate") == "alternate":
            link = web_url(candidate.get("href"), base)
            if link:
                return link
    return None


def _entry_title(entry: Any) -> str:
    detail = entry.get("title_detail") or {}
    if isinstance(detail, dict) and "html" in str(detail.get("type", "")):
        return html_to_text(entry.get("title"))
    return clean_text(entry.get("title"))


def _entry_summary(entry: Any) -> str:
    summary = html_to_text(entry.get("summary"))
    if summary:
        return summary
    for content in entry.get("content") or ():
        if isinstance(content, dict):
            text = html_to_text(content.get("value"))
            if text:
                return text
    return ""


def _entry_authors(entry: Any) -> tuple[str, ...]:
    # Names as text: feeds put markup in them ("<a href=...>Name</a>"), which would
    # otherwise become an author's name.
    names = [
        html_to_text(person.get("name"))
        for person in entry.get("authors") or ()
        if isinstance(person, dict)
    ]
    if not any(names):
        names = [html_to_text(entry.get("author"))]
    return unique(names)


def _entry_categories(entry: Any) -> tuple[str, ...]:
    terms = [
        clean_text(tag.get("term") or tag.get("label"))
        for tag in entry.get("tags") or ()
        if isinstance(tag, dict)
    ]
    return unique(terms)


def _is_image(media: dict[str, Any]) -> bool:
    kind = str(media.get("type") or "")
    return media.get("medium") == "image" or kind.startswith("image/")


def _entry_image(entry: Any, base: str) -> str | None:
    candidates: list[object] = []
    for thumb in entry.get("media_thumbnail") or ():
        if isinstance(thumb, dict):
            candidates.append(thumb.get("url"))
    for media in entry.get("media_content") or ():
        if isinstance(media, dict) and _is_image(media):
            candidates.append(media.get("url"))
    for link in entry.get("links") or ():
        if isinstance(link, dict) and link.get("rel") == "enclosure" and _is_image(link):
            candidates.append(link.get("href"))
    image = entry.get("image")
    if isinstance(image, dict):
        candidates.append(image.get("href"))
    for candidate in candidates:
        url = web_url(candidate, base)
        if url:
            return url
    return None


# The date part of an ISO 8601 string, as the text states it (a sign makes it no year).
_ISO_SHAPED = re.compile(r"\s*(-?\d{4,})-(\d{1,2})-(\d{1,2})")


def _entry_date(entry: Any, key: str) -> tuple[datetime | None, object]:
    # dict.get, not entry.get: feedparser's own get() silently answers
    # "updated" with the published date (a deprecated fallback, issue 310).
    raw = dict.get(entry, key)
    if isinstance(raw, str) and (iso := _ISO_SHAPED.match(raw)):
        # An ISO 8601 date is read by our strict parser first ("… UTC" included, which
        # feedparser reads as midnight). feedparser's reading is taken only when it keeps
        # the date the text states: its guesses at a broken one are silently wrong
        # ("2024-13-45" is 2025-01-01 to it, "-0001-01-01" is 2000-01-01), where
        # unreadable is recorded as a problem of the feed.
        ours = parse_date(raw)
        if ours is not None:
            return ours, raw
        guess = from_struct_time(dict.get(entry, f"{key}_parsed"))
        stated = tuple(int(part) for part in iso.groups())
        keeps = guess is not None and (guess.year, guess.month, guess.day) == stated
        return (guess if keeps else None), raw
    parsed = from_struct_time(dict.get(entry, f"{key}_parsed"))
    if parsed is None and isinstance(raw, str):
        parsed = parse_date(raw)  # feedparser gave up; try our own formats
    return parsed, raw


def _build_entry(entry: Any, url: str, collector: EntryCollector, label: str) -> FeedEntry | None:
    guid = clean_text(entry.get("id")) or None
    entry_url = collector.link_for(_entry_link(entry, url), guid, label)
    if entry_url is None:
        return None
    published, raw_published = _entry_date(entry, "published")
    updated, raw_updated = _entry_date(entry, "updated")
    published = collector.date(published, raw_published, label, "published")
    updated = collector.date(updated, raw_updated, label, "updated")
    return FeedEntry(
        url=entry_url,
        guid=guid or entry_url,
        title=_entry_title(entry),
        summary=_entry_summary(entry),
        # RSS 1.0 feeds only have dc:date, which feedparser files as "updated".
        published=published or updated,
        updated=updated,
        authors=_entry_authors(entry),
        categories=_entry_categories(entry),
        image=_entry_image(entry, url),
    )


def _label(entry: Any, index: int) -> str:
    title = clean_text(entry.get("title"))[:60]
    return f"entry {index + 1} ({title!r})" if title else f"entry {index + 1}"


def _describe_bozo(raw: Any) -> str:
    error = raw.get("bozo_exception")
    message = str(getattr(error, "getMessage", lambda: error)())
    return message[:120] or type(error).__name__


def _parse_xml_feed(
    body: bytes, url: str, content_type: str | None, max_items: int, now: datetime
) -> ParsedFeed:
    text, problems = decode_xml(body, content_type)
    if not text.strip():
        raise FeedParseError("the response was empty; there is no feed in it")
    if _is_html(text):
        raise FeedParseError("this is an HTML page, not a feed")
    text = _defuse_doctype(text, problems)
    text, truncated = _truncate_items(text, max_items)
    raw = _run_feedparser(to_utf8_xml(text))
    kind = _kind(str(raw.get("version") or ""))
    entries = raw.get("entries") or []
    if kind is None:
        if "html" in (content_type or "").lower():
            raise FeedParseError("this is an HTML page, not a feed")
        raise FeedParseError("this is not an RSS, Atom or JSON feed")
    if raw.get("bozo"):
        if not entries and not raw.get("feed", {}).get("title"):
            raise FeedParseError(
                f"the feed is broken XML and nothing could be read from it ({_describe_bozo(raw)})"
            )
        problems.append(
            f"the feed is not well-formed XML ({_describe_bozo(raw)}); read as far as possible"
        )
    collector = EntryCollector(now=now, max_items=max_items, problems=problems)
    for index, entry in enumerate(entries):
        label = _label(entry, index)
        built = _build_entry(entry, url, collector, label)
        if built is not None:
            collector.add(built, label)
    collector.note_cut(truncated)
    feed = raw.get("feed") or {}
    return ParsedFeed(
        kind=kind,
        title=html_to_text(feed.get("title")),
        site_url=web_url(feed.get("link"), url),
        items=tuple(collector.items),
        problems=tuple(collector.problems),
    )


def parse_feed(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    max_items: int = DEFAULT_MAX_ITEMS,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse fetched feed bytes. `url` is where they came from (the base for
    relative links); `content_type` is the response's Content-Type, if any.

    Raises FeedParseError, and only that, when the bytes are not a feed.
    """
    if not body or not body.strip():
        raise FeedParseError("the response was empty; there is no feed in it")
    if max_items < 1:
        raise ValueError("max_items must be at least 1")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    if looks_like_json_feed(body, content_type):
        return parse_json_feed(body, url, max_items, moment)
    return _parse_xml_feed(body, url, content_type, max_items, moment)
