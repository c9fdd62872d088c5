"""The feed result types, and the entry rules shared by the XML and JSON paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ._dates import clamp_future
from ._html import web_url
from .urls import canonical_url

__all__ = ["DEFAULT_MAX_ITEMS", "EntryCollector", "FeedEntry", "FeedParseError", "ParsedFeed"]

DEFAULT_MAX_ITEMS = 5_000


class FeedParseError(ValueError):
    """The bytes could not be read as a feed; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    guid: str
    title: str
    summary: str
    published: datetime | None
    updated: datetime | None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    image: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    kind: str
    title: str
    site_url: str | None
    items: tuple[FeedEntry, ...]
    problems: tuple[str, ...] = ()


def absolute_web_url(value: object) -> str | None:
    """`value` itself if it is already an absolute http(s) URL (guids as links)."""
    if not isinstance(value, str):
        return None
    return web_url(value, "") if value.strip().lower().startswith(("http:", "https:")) else None


def unique(values: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            result.append(value)
    return tuple(result)


@dataclass
class EntryCollector:
    """Applies the per-entry rules: link required, no duplicates, sane dates, a cap."""

    now: datetime
    max_items: int
    problems: list[str] = field(default_factory=list)
    items: list[FeedEntry] = field(default_factory=list)
    _guids: set[str] = field(default_factory=set)
    _urls: set[str] = field(default_factory=set)
    _overflow: int = 0

    @property
    def full(self) -> bool:
        return len(self.items) >= self.max_items

    def link_for(self, link: str | None, guid: str | None, label: str) -> str | None:
        """The entry's URL; a guid that is a URL stands in for a missing link."""
        url = link or absolute_web_url(guid)
        if url is None:
            self.problems.append(f"{label} has no web link and was skipped")
            return None
        # Stored links carry no tracking parameters (and dedupe across sources).
        return canonical_url(url)

    def date(self, value: datetime | None, raw: object, label: str, what: str) -> datetime | None:
        if value is None and isinstance(raw, str) and raw.strip():
            self.problems.append(f"{label}: could not read the {what} date {raw.strip()[:60]!r}")
        clamped = clamp_future(value, self.now)
        if value is not None and clamped is None:
            self.problems.append(
                f"{label}: the {what} date {value.isoformat()} is in the future; ignored"
            )
        return clamped

    def add(self, entry: FeedEntry, label: str) -> None:
        if self.full:
            self._overflow += 1
            return
        url_key = canonical_url(entry.url)
        if entry.guid in self._guids or url_key in self._urls:
            self.problems.append(f"{label} repeats an earlier entry (same guid or link); dropped")
            return
        self._guids.add(entry.guid)
        self._urls.add(url_key)
        self.items.append(entry)

    def note_cut(self, truncated_before_parsing: bool = False) -> None:
        if truncated_before_parsing or self._overflow:
            self.problems.append(
                f"the feed has more than {self.max_items} entries; only the first "
                f"{self.max_items} were read"
            )
