"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/), our own reader.

JSON is untrusted input like any other: every field is type-checked before
use, and anything malformed is dropped with a problem rather than raising.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime
from typing import Any

from ._dates import parse_date
from ._encoding import strip_invalid_xml_chars
from ._feedmodel import (
    EntryCollector,
    FeedEntry,
    FeedParseError,
    ParsedFeed,
    unique,
)
from ._html import web_url
from ._text import clean_text, html_to_text

__all__ = ["JSON_FEED_VERSION_PREFIX", "looks_like_json_feed", "parse_json_feed"]

JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/1"
_VERSION_RE = re.compile(rb'"version"\s*:\s*"https?:\\?/\\?/jsonfeed\.org\\?/version\\?/1')
_JSON_TYPES = frozenset({"application/feed+json", "application/json", "text/json"})


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _strip_bom(body: bytes) -> bytes:
    return body[len(codecs.BOM_UTF8) :] if body.startswith(codecs.BOM_UTF8) else body


def looks_like_json_feed(body: bytes, content_type: str | None) -> bool:
    """JSON by content type, or any body that starts like a JSON Feed object."""
    start = _strip_bom(body).lstrip()[:1]
    if start not in (b"{", b"["):
        return False
    return _media_type(content_type) in _JSON_TYPES or bool(_VERSION_RE.search(body))


def _load(body: bytes) -> tuple[Any, list[str]]:
    problems: list[str] = []
    raw = _strip_bom(body)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # RFC 8259 section 8.1 requires UTF-8
        problems.append("the JSON Feed is not valid UTF-8; read it as Windows-1252 instead")
        text = raw.decode("latin-1")
    try:
        return json.loads(text), problems
    except (ValueError, RecursionError) as error:
        raise FeedParseError(f"this JSON Feed is not valid JSON ({error})") from None


def _names(item: dict[str, Any]) -> tuple[str, ...]:
    # 1.1 has "authors" (a list); 1.0 had a single "author" object.
    people = item.get("authors")
    if not isinstance(people, list):
        people = [item.get("author")]
    names = [html_to_text(person.get("name")) for person in people if isinstance(person, dict)]
    return unique(names)


def _tags(item: dict[str, Any]) -> tuple[str, ...]:
    tags = item.get("tags")
    if not isinstance(tags, list):
        return ()
    return unique([clean_text(tag) for tag in tags])


def _summary(item: dict[str, Any]) -> str:
    for key in ("summary", "content_text"):
        text = clean_text(item.get(key))
        if text:
            return text
    return html_to_text(item.get("content_html"))


def _guid(item: dict[str, Any]) -> str | None:
    # "id" is required and a string in 1.1; 1.0 feeds sometimes used numbers.
    value = item.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        return strip_invalid_xml_chars(str(value)).strip() or None
    return None


def _date(item: dict[str, Any], key: str) -> datetime | None:
    value = item.get(key)  # RFC 3339 per the spec; parse_date also takes near misses
    return parse_date(value) if isinstance(value, str) else None


def _entry(
    item: dict[str, Any], url: str, collector: EntryCollector, label: str
) -> FeedEntry | None:
    guid = _guid(item)
    link = web_url(item.get("url"), url) or web_url(item.get("external_url"), url)
    entry_url = collector.link_for(link, guid, label)
    if entry_url is None:
        return None
    published = collector.date(
        _date(item, "date_published"), item.get("date_published"), label, "published"
    )
    updated = collector.date(
        _date(item, "date_modified"), item.get("date_modified"), label, "updated"
    )
    return FeedEntry(
        url=entry_url,
        guid=guid or entry_url,
        title=clean_text(item.get("title")),
        summary=_summary(item),
        published=published or updated,
        updated=updated,
        authors=_names(item),
        categories=_tags(item),
        image=web_url(item.get("image"), url) or web_url(item.get("banner_image"), url),
    )


def parse_json_feed(body: bytes, url: str, max_items: int, now: datetime) -> ParsedFeed:
    data, problems = _load(body)
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(version, str):
        raise FeedParseError('this is JSON, but not a JSON Feed (it has no "version")')
    if not version.startswith(JSON_FEED_VERSION_PREFIX):
        raise FeedParseError(f"this is JSON, but not a JSON Feed version 1 ({version[:80]!r})")
    collector = EntryCollector(now=now, max_items=max_items, problems=problems)
    items = data.get("items")
    if not isinstance(items, list):
        collector.problems.append('the JSON Feed has no "items" list')
        items = []
    for index, item in enumerate(items):
        if collector.full:
            collector.note_cut(truncated_before_parsing=True)
            break
        label = f"item {index + 1}"
        if not isinstance(item, dict):
            collector.problems.append(f"{label} is not a JSON object; skipped")
            continue
        entry = _entry(item, url, collector, label)
        if entry is not None:
            collector.add(entry, label)
    home = web_url(data.get("home_page_url"), url)
    return ParsedFeed(
        kind="jsonfeed",
        title=clean_text(data.get("title")),
        site_url=home,
        items=tuple(collector.items),
        problems=tuple(collector.problems),
    )
