"""Turning fetched XML bytes into text we can trust the encoding of.

Feeds in the wild lie about their encoding: Latin-1 bytes under an
`encoding="utf-8"` declaration, UTF-8 under a Latin-1 header, byte-order
marks, blank lines before the XML declaration. We decode once, here, with
rules that prefer what the bytes actually are over what they claim, and hand
the parsers clean UTF-8 with a matching declaration.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_xml", "strip_invalid_xml_chars", "to_utf8_xml"]

# Longest BOM first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# XML 1.0 appendix F: recognising UTF-16/32 without a BOM from "<?" or "<".
_NO_BOM_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
# WHATWG Encoding Standard: these labels all mean windows-1252 on the web,
# and real "ISO-8859-1" feeds routinely contain curly quotes from 0x80-0x9F.
_WINDOWS_1252_LABELS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "cp1252"}
)
_XML_DECL_ENCODING = re.compile(
    rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})"
)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)
_DECL = re.compile(r"^<\?xml\b[^>]{0,300}?\?>")
# Characters XML 1.0 (section 2.2) forbids; one stray control byte would
# otherwise make a strict parser reject a whole feed.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_invalid_xml_chars(text: str) -> str:
    return _INVALID_XML_CHARS.sub("", text)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_encoding(body: bytes, content_type: str | None) -> str | None:
    """The encoding the document claims: XML declaration first, then HTTP charset."""
    match = _XML_DECL_ENCODING.match(body[:512])
    if match:
        return match.group(1).decode("ascii")
    if content_type:
        found = _CHARSET.search(content_type)
        if found:
            return found.group(1)
    return None


def _decode_single_byte(body: bytes) -> str:
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned
        return body.decode("latin-1")


def _decode_by_bom(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    for prefix, name in _NO_BOM_PREFIXES:
        if body.startswith(prefix):
            return body.decode(name, errors="replace")
    return None


def decode_xml(body: bytes, content_type: str | None = None) -> tuple[str, list[str]]:
    """Decode an XML document; returns the text and plain-words problems.

    Order of trust: a byte-order mark, then whether the bytes are valid UTF-8
    (Latin-1 text with accents is practically never valid UTF-8, so valid
    UTF-8 beats a single-byte declaration), then the declared encoding, then
    windows-1252, which decodes anything.
    """
    problems: list[str] = []
    text = _decode_by_bom(body)
    if text is None:
        text = _decode_by_declaration(body, content_type, problems)
    return strip_invalid_xml_chars(text).lstrip(), problems


def _decode_by_declaration(body: bytes, content_type: str | None, problems: list[str]) -> str:
    label = declared_encoding(body, content_type)
    codec = _codec(label)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec not in (None, "utf-8") and not body.isascii():
            problems.append(f"the document declares {label} but is actually UTF-8; read as UTF-8")
        return text
    # A UTF-16/32 declaration on bytes without their tell-tale NULs is wrong.
    if codec is not None and codec != "utf-8" and not codec.startswith(("utf-16", "utf-32")):
        try:
            return body.decode(codec)
        except (ValueError, LookupError):  # includes UnicodeError; LookupError for rot13 & co
            pass
    problems.append(
        f"the document is not valid {label or 'UTF-8'}; read it as Windows-1252 instead"
    )
    return _decode_single_byte(body)


def to_utf8_xml(text: str) -> bytes:
    """Encode decoded XML as UTF-8 whose declaration says so."""
    match = _DECL.match(text)
    if match:
        decl = re.sub(r"encoding\s*=\s*[\"'][^\"']*[\"']", 'encoding="utf-8"', match.group(0))
        text = decl + text[match.end() :]
    return text.encode("utf-8", errors="replace")
