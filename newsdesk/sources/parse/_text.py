"""Plain text out of the HTML fragments feeds put in titles and summaries."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from ._encoding import strip_invalid_xml_chars

__all__ = ["clean_text", "html_to_text"]

_WS = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(
    {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript"})
_TAG = re.compile(r"<[^>]*>")


def clean_text(value: object) -> str:
    """Collapse whitespace and drop control characters (a feed's "&#0;" or a JSON
    "\\u0000" would be a NUL, which PostgreSQL refuses to store); anything that is not a
    string becomes ""."""
    if not isinstance(value, str):
        return ""
    return _WS.sub(" ", strip_invalid_xml_chars(value)).strip()


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(value: object) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    if not isinstance(value, str) or not value:
        return ""
    if "<" not in value and "&" not in value:
        return clean_text(value)
    collector = _TextCollector()
    try:
        collector.feed(value)
        collector.close()
    except Exception:  # the stdlib parser can assert on broken markup declarations
        return clean_text(html.unescape(_TAG.sub(" ", value)))
    return clean_text("".join(collector.parts))
