"""A hardened lxml parser for sitemaps and OPML.

libxml2 is asked not to touch the network, not to load DTDs, not to
substitute entities and to keep its default size limits (huge_tree=False:
10 MB text nodes, depth 256). On top of that any document with a DOCTYPE
is refused outright: neither format needs one, and that is where XXE and
entity-expansion ("billion laughs") attacks live.
"""

from __future__ import annotations

import re

from lxml import etree

from ._encoding import decode_xml, to_utf8_xml

__all__ = ["localname", "parse_untrusted_xml", "text_of"]

_DOCTYPE_OR_ENTITY = re.compile(r"<!(?:DOCTYPE|ENTITY)\b", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_STRING = etree.XPath("string()")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")


def _allowed_char(code: int) -> bool:
    """XML 1.0 section 2.2 "Char"."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _neutralise_char_refs(text: str) -> str:
    # In recovery mode libxml2 keeps references to forbidden characters
    # (e.g. &#xD800;) as bytes that lxml then cannot decode.
    def fix(match: re.Match[str]) -> str:
        hex_digits, digits = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(digits)
        return match.group(0) if _allowed_char(code) else "\ufffd"

    return _CHAR_REF.sub(fix, text)


def _parser() -> etree.XMLParser:
    # A new parser per document: lxml parsers are not safe to share across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted_xml(
    body: bytes, what: str, error: type[ValueError]
) -> tuple[etree._Element, list[str]]:
    """Parse `body` as XML, reporting failures as `error` in plain words."""
    text, problems = decode_xml(body)
    if not text.strip():
        raise error(f"the {what} is empty")
    first = _FIRST_ELEMENT.search(text)
    prolog = text[: first.start()] if first else text
    if _DOCTYPE_OR_ENTITY.search(prolog):
        raise error(f"the {what} has a DOCTYPE/entity declarations, which we refuse for safety")
    parser = _parser()
    try:
        root = etree.fromstring(to_utf8_xml(_neutralise_char_refs(text)), parser)
    except (etree.LxmlError, ValueError) as exc:
        raise error(f"the {what} is not readable XML ({exc})") from None
    if root is None:
        raise error(f"the {what} is not XML")
    if root.getroottree().docinfo.doctype:
        raise error(f"the {what} has a DOCTYPE, which we refuse for safety")
    if len(parser.error_log):
        problems.append(f"the {what} is not well-formed XML; read as far as possible")
    return root, problems


def localname(element: etree._Element) -> str:
    """The tag without its namespace; "" for comments, PIs and entity references."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def text_of(element: etree._Element | None) -> str:
    """All text inside an element, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join(str(_STRING(element)).split())
