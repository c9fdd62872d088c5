"""OPML subscription lists (http://opml.org/spec2.opml): import and export.

Readers export folders as nested outlines without an xmlUrl; we flatten
them into a "Folder/Subfolder" category, and build_opml nests them again,
so a list survives the round trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from lxml import etree

from ._encoding import strip_invalid_xml_chars
from ._xml import localname, parse_untrusted_xml
from .urls import canonical_url

__all__ = ["OpmlFeed", "OpmlParseError", "ParsedOpml", "build_opml", "parse_opml"]

_MAX_FEEDS = 50_000


class OpmlParseError(ValueError):
    """The bytes could not be read as OPML; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    xml_url: str
    html_url: str | None = None
    title: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedOpml:
    outlines: tuple[OpmlFeed, ...]
    problems: tuple[str, ...] = ()


def _clean(value: str | None) -> str:
    return " ".join(strip_invalid_xml_chars(value or "").split())


def _feed_url(value: str | None) -> str | None:
    """An http(s) URL, accepting the old feed: pseudo-scheme some readers export."""
    text = _clean(value)
    lowered = text.lower()
    if lowered.startswith("feed:http://") or lowered.startswith("feed:https://"):
        text = text[5:]
    elif lowered.startswith("feed://"):
        text = "http://" + text[7:]
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return text
    return None


def _attributes(outline: etree._Element) -> dict[str, str]:
    # Attribute case varies between exporters (xmlUrl, xmlurl, XMLURL).
    return {str(key).lower(): str(value) for key, value in outline.attrib.items()}


def _child_outlines(element: etree._Element) -> list[etree._Element]:
    return [
        child
        for child in element.iterchildren(etree.Element)
        if localname(child).lower() == "outline"
    ]


def _category_attribute(attrs: dict[str, str]) -> str | None:
    # OPML 2.0 "category": comma-separated, slash-delimited paths.
    first = attrs.get("category", "").split(",")[0]
    path = "/".join(part for part in (_clean(p) for p in first.split("/")) if part)
    return path or None


def _walk(
    element: etree._Element, folders: tuple[str, ...]
) -> Iterator[tuple[etree._Element, tuple[str, ...]]]:
    """Depth-first (outline, enclosing folder names); lxml caps depth at 256."""
    for outline in _child_outlines(element):
        attrs = _attributes(outline)
        if "xmlurl" in attrs:
            yield outline, folders
            continue
        name = _clean(attrs.get("text") or attrs.get("title"))
        yield from _walk(outline, folders + (name,) if name else folders)


def _feed(outline: etree._Element, folders: tuple[str, ...]) -> OpmlFeed | None:
    attrs = _attributes(outline)
    xml_url = _feed_url(attrs.get("xmlurl"))
    if xml_url is None:
        return None
    title = _clean(attrs.get("title") or attrs.get("text")) or None
    if title == xml_url:  # exporters put the URL in "text" when there is no title
        title = None
    category = "/".join(folders) or _category_attribute(attrs)
    return OpmlFeed(xml_url, _feed_url(attrs.get("htmlurl")), title, category)


def parse_opml(body: bytes) -> ParsedOpml:
    """Read the feeds out of an OPML document.

    Raises OpmlParseError, and only that, when the bytes are not OPML.
    """
    root, problems = parse_untrusted_xml(body, "OPML file", OpmlParseError)
    if localname(root).lower() != "opml":
        raise OpmlParseError(
            f"this is not an OPML file (its root element is <{localname(root)[:40]}>)"
        )
    body_element = next(
        (c for c in root.iterchildren(etree.Element) if localname(c).lower() == "body"), None
    )
    if body_element is None:
        raise OpmlParseError("this OPML file has no <body>")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    skipped = duplicates = 0
    for outline, folders in _walk(body_element, ()):
        feed = _feed(outline, folders)
        if feed is None:
            skipped += 1
        elif canonical_url(feed.xml_url) in seen:
            duplicates += 1
        elif len(feeds) < _MAX_FEEDS:
            seen.add(canonical_url(feed.xml_url))
            feeds.append(feed)
    if skipped:
        problems.append(f"{skipped} outlines had no usable http(s) xmlUrl and were skipped")
    if duplicates:
        problems.append(f"{duplicates} feeds were listed more than once; kept the first")
    return ParsedOpml(tuple(feeds), tuple(problems))


def _folder(
    parent: etree._Element, path: tuple[str, ...], folders: dict[tuple[str, ...], etree._Element]
) -> etree._Element:
    if not path:
        return parent
    if path not in folders:
        container = _folder(parent, path[:-1], folders)
        folders[path] = etree.SubElement(container, "outline", text=path[-1], title=path[-1])
    return folders[path]


def _category_path(category: str | None) -> tuple[str, ...]:
    return tuple(part for part in (_clean(p) for p in (category or "").split("/")) if part)


def build_opml(feeds: Iterable[OpmlFeed], title: str, *, now: datetime | None = None) -> bytes:
    """An OPML 2.0 document listing `feeds`, folders made from their categories."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _clean(title)
    created = format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    etree.SubElement(head, "dateCreated").text = created  # RFC 822, as OPML 2.0 asks
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], etree._Element] = {}
    for feed in feeds:
        parent = _folder(body, _category_path(feed.category), folders)
        feed_title = _clean(feed.title)
        outline = etree.SubElement(
            parent, "outline", type="rss", text=feed_title or _clean(feed.xml_url)
        )
        if feed_title:
            outline.set("title", feed_title)
        outline.set("xmlUrl", _clean(feed.xml_url))
        if feed.html_url:
            outline.set("htmlUrl", _clean(feed.html_url))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
