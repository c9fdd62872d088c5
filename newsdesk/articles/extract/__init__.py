"""Article extraction: metadata and a clean body from one news page (no Django here)."""

from .core import MAX_AUTHORS, MAX_ELEMENTS, block_fingerprints, extract
from .dom import decode, parse
from .metadata import TITLE_SOURCES, page_titles
from .model import Extraction
from .sanitize import sanitize_html

__all__ = [
    "MAX_AUTHORS",
    "MAX_ELEMENTS",
    "TITLE_SOURCES",
    "Extraction",
    "block_fingerprints",
    "decode",
    "extract",
    "page_titles",
    "parse",
    "sanitize_html",
]
