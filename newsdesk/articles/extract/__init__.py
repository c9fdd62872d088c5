"""Article extraction: metadata and a clean body from one news page (no Django here)."""

from .core import block_fingerprints, extract
from .model import Extraction
from .sanitize import sanitize_html

__all__ = ["Extraction", "block_fingerprints", "extract", "sanitize_html"]
