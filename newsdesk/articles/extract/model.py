"""Result type of the article extractor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Extraction:
    """What :func:`newsdesk.articles.extract.extract` found on one page."""

    title: str | None
    authors: tuple[str, ...]
    published: datetime | None
    modified: datetime | None
    language: str | None
    canonical_url: str | None
    image: str | None
    site_name: str | None
    section: str | None
    text: str
    html: str
    is_article: bool
    reason: str | None
    # When no person is named: the organisation or desk the page's own author metadata
    # credits ("BBC News", "MND Staff"). Not an author (authors are people and agencies);
    # what a byline may show instead of nothing.
    credit: str | None = None
