"""Lenient HTML parsing for link extraction and feed discovery."""

from __future__ import annotations

import codecs
import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ._encoding import strip_invalid_xml_chars

__all__ = ["document_base", "parse_html", "web_url"]

# HTML spec "prescan a byte stream": a <meta charset> in the first 1024 bytes.
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.I
)


def _decode(html: bytes) -> str:
    if html.startswith(codecs.BOM_UTF8):
        return html[3:].decode("utf-8", errors="replace")
    if html.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return html.decode("utf-16", errors="replace")
    match = _META_CHARSET.search(html[:1024])
    if match:
        label = match.group(1).decode("ascii").lower()
        try:
            if not codecs.lookup(label).name.startswith(("utf-16", "utf-32")):
                return html.decode(label, errors="replace")
        except (LookupError, ValueError):
            pass
    return html.decode("utf-8", errors="replace")


def parse_html(html: bytes | str) -> etree._Element | None:
    """The document's root element, or None when there is nothing to parse."""
    text = _decode(html) if isinstance(html, bytes) else html
    text = strip_invalid_xml_chars(text)
    if not text.strip():
        return None
    parser = etree.HTMLParser(no_network=True, recover=True, remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(text, parser)
    except (etree.LxmlError, ValueError):
        return None


_CONTROL = re.compile("[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encode_controls(url: str) -> str:
    # Percent-encoded as browsers do (WHATWG URL, C0 control percent-encode set): a raw
    # NUL would otherwise reach the database, and PostgreSQL refuses it.
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", url)


def web_url(value: object, base: str) -> str | None:
    """`value` resolved against `base`, if that gives an http(s) URL with a host."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or _SURROGATE.search(value):  # a lone surrogate cannot be encoded at all
        return None
    try:
        absolute = urljoin(base, value)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return _encode_controls(absolute)


def document_base(root: etree._Element, page_url: str) -> str:
    """The URL relative links resolve against: <base href> if any (HTML spec 4.2.3)."""
    for base in root.iter("base"):
        href = web_url(base.get("href"), page_url)
        if href:
            return href
        break
    return page_url
