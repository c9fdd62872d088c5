"""OPML subscription lists (http://opml.org/spec2.opml): import and export.

Readers export folders as nested outlines without an xmlUrl; we flatten
them into a "Folder/Subfolder" category, and build_opml nests them again,
so a list survives the round trip.

Feeds are standard ``type="rss"`` outlines with an ``xmlUrl``, so any feed
reader can use our export. Sources feed readers do not know (news sitemaps,
HTML section pages) are ``type="link"`` outlines with a ``url``, and no
``xmlUrl``, marked with attributes in our own namespace (OPML 2.0 allows
extra attributes), which other tools ignore::

    <opml version="2.0" xmlns:newsdesk="https://newsdesk.invalid/ns/opml">
      <outline type="link" text="World" url="https://example.com/world/"
               newsdesk:kind="section" newsdesk:outlet="Example Times"
               newsdesk:home="https://example.com/" newsdesk:include='["/world/"]'/>

``newsdesk:outlet`` names the outlet exactly (folders are only a view of it),
``newsdesk:home`` is the outlet's site where a feed would carry ``htmlUrl``,
and ``newsdesk:include`` / ``newsdesk:exclude`` are the section page's link
patterns as JSON lists. A ``type="link"`` outline without ``newsdesk:kind``
comes from another tool and is read as kind LINK (a web page, nothing more
is known); ``type="include"`` or a link to an ``.opml`` file as INCLUDE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from lxml import etree

from ._encoding import strip_invalid_xml_chars
from ._xml import localname, parse_untrusted_xml
from .urls import canonical_url

__all__ = [
    "FEED",
    "INCLUDE",
    "LINK",
    "NAMESPACE",
    "SECTION",
    "SITEMAP",
    "OpmlOutline",
    "OpmlParseError",
    "ParsedOpml",
    "build_opml",
    "parse_opml",
]

# A namespace name is an identifier, never fetched; .invalid (RFC 2606) can
# never be someone else's site. Changing it would orphan every export made.
NAMESPACE = "https://newsdesk.invalid/ns/opml"
PREFIX = "newsdesk"

FEED = "feed"  # type="rss" with an xmlUrl: what every feed reader reads
SITEMAP = "sitemap"  # a news sitemap (newsdesk:kind="sitemap")
SECTION = "section"  # an HTML section page (newsdesk:kind="section")
LINK = "link"  # type="link" from another tool: a web page of unknown use
INCLUDE = "include"  # another OPML file (type="include", or a link to *.opml)

_MAX_OUTLINES = 50_000
_MAX_PATTERNS = 100
_MAX_KIND = 40


class OpmlParseError(ValueError):
    """The bytes could not be read as OPML; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class OpmlOutline:
    """One followable outline. ``kind`` is FEED, SITEMAP, SECTION, LINK, INCLUDE, or
    whatever other newsdesk:kind a file named (for the caller to refuse)."""

    url: str
    html_url: str | None = None  # htmlUrl, or newsdesk:home on non-feed outlines
    title: str | None = None
    category: str | None = None  # "Folder/Subfolder"
    kind: str = FEED
    outlet: str | None = None  # newsdesk:outlet
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    problem: str | None = None  # why it cannot be used as written


@dataclass(frozen=True, slots=True)
class ParsedOpml:
    outlines: tuple[OpmlOutline, ...]
    problems: tuple[str, ...] = ()


def _clean(value: str | None) -> str:
    return " ".join(strip_invalid_xml_chars(value or "").split())


def _http_url(value: str | None) -> str | None:
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


def _ours(attrs: dict[str, str], name: str) -> str | None:
    """Our namespaced attribute; also as a bare "newsdesk:name" when a hand-edited
    file lost the namespace declaration (the parser keeps the prefixed name then)."""
    value = attrs.get(f"{{{NAMESPACE}}}{name}")
    return value if value is not None else attrs.get(f"{PREFIX}:{name}")


def _outline_type(attrs: dict[str, str]) -> str:
    return _clean(attrs.get("type")).lower()


def _is_entry(attrs: dict[str, str]) -> bool:
    """An outline naming something to follow, rather than a folder."""
    return (
        "xmlurl" in attrs
        or _ours(attrs, "kind") is not None
        or _outline_type(attrs) in ("link", "include")
    )


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
        if _is_entry(attrs):
            yield outline, folders
            continue
        name = _clean(attrs.get("text") or attrs.get("title"))
        yield from _walk(outline, folders + (name,) if name else folders)


def _kind_and_url(attrs: dict[str, str]) -> tuple[str, str | None]:
    marked = _ours(attrs, "kind")
    if marked is not None:
        kind = _clean(marked).lower()[:_MAX_KIND]
        first, second = ("xmlurl", "url") if kind == FEED else ("url", "xmlurl")
        return kind, _http_url(attrs.get(first)) or _http_url(attrs.get(second))
    if "xmlurl" in attrs:
        return FEED, _http_url(attrs.get("xmlurl"))
    url = _http_url(attrs.get("url"))
    if _outline_type(attrs) == "include" or (url and urlsplit(url).path.endswith(".opml")):
        return INCLUDE, url
    return LINK, url


def _patterns(attrs: dict[str, str], name: str) -> tuple[tuple[str, ...], str | None]:
    """A JSON list of regular expressions, or the reason it is not one."""
    raw = _ours(attrs, name)
    if raw is None or not raw.strip():
        return (), None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        return (), f"its {PREFIX}:{name} is not a JSON list of regular expressions"
    if len(value) > _MAX_PATTERNS:
        return (), f"its {PREFIX}:{name} has more than {_MAX_PATTERNS} patterns"
    return tuple(strip_invalid_xml_chars(p) for p in value), None


def _outline(outline: etree._Element, folders: tuple[str, ...]) -> OpmlOutline | None:
    attrs = _attributes(outline)
    kind, url = _kind_and_url(attrs)
    if url is None:
        return None
    title = _clean(attrs.get("title") or attrs.get("text")) or None
    if title == url:  # exporters put the URL in "text" when there is no title
        title = None
    include, include_problem = _patterns(attrs, "include")
    exclude, exclude_problem = _patterns(attrs, "exclude")
    return OpmlOutline(
        url,
        html_url=_http_url(attrs.get("htmlurl")) or _http_url(_ours(attrs, "home")),
        title=title,
        category="/".join(folders) or _category_attribute(attrs),
        kind=kind,
        outlet=_clean(_ours(attrs, "outlet"))[:200] or None,
        include=include,
        exclude=exclude,
        problem=include_problem or exclude_problem,
    )


def parse_opml(body: bytes) -> ParsedOpml:
    """Read the followable outlines (feeds, our sitemaps and section pages, other
    tools' links) out of an OPML document.

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
    outlines: list[OpmlOutline] = []
    seen: set[str] = set()
    skipped = duplicates = over = 0
    for element, folders in _walk(body_element, ()):
        outline = _outline(element, folders)
        if outline is None:
            skipped += 1
        elif canonical_url(outline.url) in seen:
            duplicates += 1
        elif len(outlines) >= _MAX_OUTLINES:
            over += 1
        else:
            seen.add(canonical_url(outline.url))
            outlines.append(outline)
    if skipped:
        problems.append(
            f"{skipped} outlines had no usable http(s) address (xmlUrl, or url on a link) "
            "and were skipped"
        )
    if duplicates:
        problems.append(f"{duplicates} addresses were listed more than once; kept the first")
    if over:
        problems.append(f"only the first {_MAX_OUTLINES} entries were read; {over} were not")
    return ParsedOpml(tuple(outlines), tuple(problems))


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


def _set_ours(element: etree._Element, name: str, value: str) -> None:
    element.set(f"{{{NAMESPACE}}}{name}", value)


def _add_outline(parent: etree._Element, item: OpmlOutline) -> None:
    title, url = _clean(item.title), _clean(item.url)
    element = etree.SubElement(parent, "outline")
    element.set(
        "type", "rss" if item.kind == FEED else "include" if item.kind == INCLUDE else "link"
    )
    element.set("text", title or url)
    if title:
        element.set("title", title)
    if item.kind == FEED:
        # Exactly what feed readers expect; nothing else carries an xmlUrl.
        element.set("xmlUrl", url)
        if item.html_url:
            element.set("htmlUrl", _clean(item.html_url))
    else:
        element.set("url", url)
        if item.kind not in (LINK, INCLUDE):
            _set_ours(element, "kind", _clean(item.kind))
        if item.html_url:
            _set_ours(element, "home", _clean(item.html_url))
    if item.outlet and _clean(item.outlet):
        _set_ours(element, "outlet", _clean(item.outlet))
    for name, patterns in (("include", item.include), ("exclude", item.exclude)):
        if patterns:
            # ensure_ascii: every character XML cannot carry travels as a \u escape.
            _set_ours(element, name, json.dumps(list(patterns), ensure_ascii=True))


def build_opml(
    outlines: Iterable[OpmlOutline], title: str, *, now: datetime | None = None
) -> bytes:
    """An OPML 2.0 document listing ``outlines``, folders made from their categories."""
    root = etree.Element("opml", version="2.0", nsmap={PREFIX: NAMESPACE})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _clean(title)
    created = format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    etree.SubElement(head, "dateCreated").text = created  # RFC 822, as OPML 2.0 asks
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], etree._Element] = {}
    for item in outlines:
        _add_outline(_folder(body, _category_path(item.category), folders), item)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
