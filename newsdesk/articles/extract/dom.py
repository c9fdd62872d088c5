"""Decoding and parsing: the page is parsed once and the tree shared by every step."""

from __future__ import annotations

import codecs
import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_WS = re.compile(r"\s+")
# Characters no extracted text should keep: C0 controls but tab, newline and carriage
# return ("&#1;" in a page, NUL that PostgreSQL refuses to store), DEL and lone
# surrogates (which no encoder takes).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_HTML_SNIFF = re.compile(
    r"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|article|script|link)\b", re.I
)

__all__ = [
    "HtmlElement",
    "decode",
    "klass",
    "looks_like_html",
    "norm_space",
    "parse",
    "printable",
    "text_of",
]


def decode(data: str | bytes) -> str:
    """Bytes to text: BOM, then ``<meta charset>``, then UTF-8, then cp1252."""
    if isinstance(data, str):
        return data
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, "replace")
    match = _META_CHARSET.search(data[:8192])
    if match:
        name = match.group(1).decode("ascii", "ignore").lower()
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            codec = ""
        if codec and codec not in ("utf-8", "ascii"):
            # Pages often declare latin-1 but are UTF-8; trust UTF-8 when it decodes.
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("cp1252" if codec == "iso8859-1" else codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip()
    if not head:
        return False
    if head.startswith("%PDF") or head[:1] in "{[":
        return False
    return bool(_HTML_SNIFF.search(head))


def parse(text: str) -> HtmlElement | None:
    """Parse a document; ``None`` when nothing usable comes out."""
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    return tree


def printable(text: str) -> str:
    """``text`` without the characters of ``_UNPRINTABLE``."""
    return _UNPRINTABLE.sub("", text)


def norm_space(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def text_of(el: HtmlElement) -> str:
    """Visible-ish text of an element, whitespace normalised."""
    return norm_space(el.text_content())


def klass(el: etree._Element) -> str:
    """Lower-cased class and id of an element, for pattern checks."""
    get = el.get
    return f"{get('class') or ''} {get('id') or ''}".lower()
