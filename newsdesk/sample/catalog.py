"""Load the fictional sample news world from the TOML files under ``content/``.

The content lives as data so writers can add articles without touching code.
Everything here is plain Python (no Django) so the sample sites can run in a
separate process, in tests, or from ``python -m newsdesk.sample.server``.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).parent / "content"

# The signup box text is shared by every layout; the catalog owns it so that
# boilerplate_phrases() and the renderer can never drift apart.
SIGNUP_HEADING = "Receive free {section} updates"
SIGNUP_TEXT = (
    "We'll send you a Daily Digest email rounding up the latest {section} news every morning."
)
SHARE_HEADING = "Share post"
COOKIE_BUTTON = "Accept all"
RECENT_HEADING = "Recent posts"
RELATED_HEADING = "Related articles"
SOURCE_LABEL = "Source link"
ADDITIONAL_REPORTING = "Additional reporting by {name}"
SUBHEADING_PREFIX = "## "

BROKEN_KINDS = frozenset({"http-500", "malformed"})


@dataclass(frozen=True)
class Section:
    """A canonical section shared by all outlets."""

    key: str
    name: str


@dataclass(frozen=True)
class OutletSection:
    """How one outlet labels a canonical section, and where its page lives."""

    key: str
    label: str
    segment: str


@dataclass(frozen=True)
class Author:
    key: str
    name: str
    bio: str

    def bio_sentences(self) -> list[str]:
        return split_sentences(self.bio)


@dataclass(frozen=True)
class Feed:
    path: str
    kind: str  # "rss", "atom" or "json"
    title: str
    section_key: str | None = None  # None: the outlet's main feed with everything


@dataclass(frozen=True)
class BrokenItem:
    """A feed item whose page is deliberately broken (not a real article)."""

    outlet: str
    slug: str
    kind: str  # one of BROKEN_KINDS
    title: str
    summary: str
    section_key: str
    age_hours: float
    path: str

    def published_at(self, now: datetime) -> datetime:
        return _minus_hours(now, self.age_hours)


@dataclass(frozen=True)
class Outlet:
    slug: str
    name: str
    tagline: str
    feed_kind: str
    layout: str
    utc_offset_hours: int
    json_ld: bool
    # Which feed links carry utm_* parameters: "none", "some" or "all".
    tracking_links: str
    article_path: str
    section_path: str
    cookie_text: str
    footer_text: str
    sections: tuple[OutletSection, ...]
    authors: tuple[Author, ...]
    feeds: tuple[Feed, ...]
    broken_items: tuple[BrokenItem, ...] = ()

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    def section(self, key: str) -> OutletSection:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"{self.slug} has no section {key!r}")

    def section_by_label(self, label: str) -> OutletSection:
        for section in self.sections:
            if section.label == label:
                return section
        raise KeyError(f"{self.slug} has no section labelled {label!r}")

    def section_page_path(self, key: str) -> str:
        return self.section_path.format(section=self.section(key).segment)

    def author(self, key: str) -> Author:
        for author in self.authors:
            if author.key == key:
                return author
        raise KeyError(f"{self.slug} has no author {key!r}")


@dataclass(frozen=True)
class Article:
    outlet: str
    slug: str
    title: str
    section_key: str
    section_label: str
    authors: tuple[Author, ...]
    paragraphs: tuple[str, ...]
    summary: str
    age_hours: float
    path: str
    updated_age_hours: float | None = None
    additional_reporting: str | None = None
    story: str | None = None
    wire_copy_of: str | None = None
    image: str | None = None
    image_caption: str | None = None

    @property
    def key(self) -> str:
        """Unique id across the catalog, the form used by ``wire_copy_of``."""
        return f"{self.outlet}/{self.slug}"

    @property
    def byline(self) -> str:
        return join_names([author.name for author in self.authors])

    @property
    def author_names(self) -> list[str]:
        return [author.name for author in self.authors]

    @property
    def lead(self) -> str:
        """First sentence of the first real paragraph, used as a teaser snippet."""
        for paragraph in self.paragraphs:
            if not is_subheading(paragraph):
                return split_sentences(paragraph)[0]
        return self.summary

    def published_at(self, now: datetime) -> datetime:
        return _minus_hours(now, self.age_hours)

    def updated_at(self, now: datetime) -> datetime | None:
        if self.updated_age_hours is None:
            return None
        return _minus_hours(now, self.updated_age_hours)


@dataclass(frozen=True)
class Catalog:
    sections: tuple[Section, ...]
    outlets: tuple[Outlet, ...]
    articles: tuple[Article, ...]
    _by_key: dict[str, Article] = field(default_factory=dict, compare=False, repr=False)

    def __hash__(self) -> int:
        # The renderer caches on the catalog; identity is the right notion here.
        return id(self)

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def outlet(self, slug: str) -> Outlet:
        for outlet in self.outlets:
            if outlet.slug == slug:
                return outlet
        raise KeyError(slug)

    def article(self, key: str) -> Article:
        """Look an article up by ``"<outlet>/<slug>"``."""
        return self._by_key[key]

    def articles_for(self, outlet_slug: str) -> list[Article]:
        return [a for a in self.articles if a.outlet == outlet_slug]

    def stories(self) -> dict[str, list[Article]]:
        """Event key -> the articles (from any outlet) that cover it."""
        grouped: dict[str, list[Article]] = defaultdict(list)
        for article in self.articles:
            if article.story:
                grouped[article.story].append(article)
        return dict(grouped)

    def body_text(self, article: Article) -> str:
        """The true article body: what a perfect extractor would return."""
        lines = [strip_subheading(p) for p in article.paragraphs]
        if article.additional_reporting:
            lines.append(ADDITIONAL_REPORTING.format(name=article.additional_reporting))
        return "\n\n".join(lines)

    def boilerplate_phrases(self, outlet_slug: str) -> list[str]:
        """Text from the outlet's page furniture that must never leak into a body.

        Covers every section's sign-up box and every author's bio, so it is a
        superset of what any single page of that outlet shows.
        """
        outlet = self.outlet(outlet_slug)
        return self._furniture(outlet, [s.key for s in outlet.sections], outlet.authors)

    def page_boilerplate_phrases(self, article: Article) -> list[str]:
        """The boilerplate phrases that actually appear on this article's page."""
        outlet = self.outlet(article.outlet)
        return self._furniture(outlet, [article.section_key], article.authors)

    def _furniture(
        self, outlet: Outlet, section_keys: list[str], authors: tuple[Author, ...]
    ) -> list[str]:
        phrases = [
            outlet.cookie_text,
            COOKIE_BUTTON,
            SHARE_HEADING,
            SIGNUP_TEXT.split("{section}")[0].strip(),
            RECENT_HEADING,
            RELATED_HEADING,
            SOURCE_LABEL,
            outlet.footer_text,
        ]
        phrases += [SIGNUP_HEADING.format(section=self.section(k).name) for k in section_keys]
        for author in authors:
            phrases.extend(author.bio_sentences())
        return list(dict.fromkeys(phrases))


def is_subheading(paragraph: str) -> bool:
    return paragraph.startswith(SUBHEADING_PREFIX)


def strip_subheading(paragraph: str) -> str:
    return paragraph.removeprefix(SUBHEADING_PREFIX)


def is_quote(paragraph: str) -> bool:
    """A paragraph that opens with a direct quotation from a named person."""
    return paragraph.startswith('"') and ('," said' in paragraph or '," says' in paragraph)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _minus_hours(now: datetime, hours: float) -> datetime:
    # Whole seconds keep feed dates and page dates byte-identical.
    return (now - timedelta(hours=hours)).replace(microsecond=0)


@cache
def load_catalog(content_dir: Path = CONTENT_DIR) -> Catalog:
    """Read outlets.toml and every article file; validated, cached per directory."""
    with (content_dir / "outlets.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    sections = tuple(Section(key, name) for key, name in raw["sections"].items())
    outlets = tuple(_parse_outlet(item) for item in raw["outlets"])
    raw_articles: list[tuple[Outlet, str, dict[str, Any]]] = []
    for outlet in outlets:
        for path in sorted((content_dir / "articles" / outlet.slug).glob("*.toml")):
            with path.open("rb") as fh:
                raw_articles.append((outlet, path.stem, tomllib.load(fh)))
    originals = {f"{o.slug}/{slug}": data for o, slug, data in raw_articles}
    articles = tuple(
        _parse_article(outlet, slug, data, originals) for outlet, slug, data in raw_articles
    )
    catalog = Catalog(sections, outlets, articles, {a.key: a for a in articles})
    _validate(catalog)
    return catalog


def _parse_outlet(item: dict[str, Any]) -> Outlet:
    slug = item["slug"]
    sections = tuple(OutletSection(s["key"], s["label"], s["segment"]) for s in item["sections"])
    authors = tuple(Author(key, a["name"], a["bio"]) for key, a in item["authors"].items())
    feeds = tuple(Feed(f["path"], f["kind"], f["title"], f.get("section")) for f in item["feeds"])
    outlet = Outlet(
        slug=slug,
        name=item["name"],
        tagline=item["tagline"],
        feed_kind=item["feed_kind"],
        layout=item["layout"],
        utc_offset_hours=int(item["utc_offset_hours"]),
        json_ld=bool(item.get("json_ld", False)),
        tracking_links=item.get("tracking_links", "none"),
        article_path=item["article_path"],
        section_path=item["section_path"],
        cookie_text=item["cookie_text"],
        footer_text=item["footer_text"],
        sections=sections,
        authors=authors,
        feeds=feeds,
    )
    broken = tuple(_parse_broken(outlet, b) for b in item.get("broken_items", []))
    return replace(outlet, broken_items=broken)


def _parse_broken(outlet: Outlet, item: dict[str, Any]) -> BrokenItem:
    key = item["section"]
    return BrokenItem(
        outlet=outlet.slug,
        slug=item["slug"],
        kind=item["kind"],
        title=item["title"],
        summary=item["summary"],
        section_key=key,
        age_hours=float(item["age_hours"]),
        path=outlet.article_path.format(section=outlet.section(key).segment, slug=item["slug"]),
    )


def _parse_article(
    outlet: Outlet, slug: str, data: dict[str, Any], originals: dict[str, dict[str, Any]]
) -> Article:
    wire_of = data.get("wire_copy_of")
    if wire_of and "paragraphs" not in data:
        # A wire copy republishes the original's text; keeping one copy of the
        # prose in the repository means the two can never silently diverge.
        data = {**data, "paragraphs": originals[wire_of]["paragraphs"]}
    section = outlet.section_by_label(data["section"])
    updated = data.get("updated_age_hours")
    return Article(
        outlet=outlet.slug,
        slug=slug,
        title=data["title"],
        section_key=section.key,
        section_label=section.label,
        authors=tuple(outlet.author(key) for key in data["authors"]),
        paragraphs=tuple(p.strip() for p in data["paragraphs"]),
        summary=data["summary"].strip(),
        age_hours=float(data["age_hours"]),
        path=outlet.article_path.format(section=section.segment, slug=slug),
        updated_age_hours=float(updated) if updated is not None else None,
        additional_reporting=data.get("additional_reporting"),
        story=data.get("story"),
        wire_copy_of=wire_of,
        image=data.get("image"),
        image_caption=data.get("image_caption"),
    )


def _validate(catalog: Catalog) -> None:
    """Fail loudly at load time on content mistakes rather than in a demo."""
    section_keys = {s.key for s in catalog.sections}
    for outlet in catalog.outlets:
        for outlet_section in outlet.sections:
            if outlet_section.key not in section_keys:
                raise ValueError(f"{outlet.slug}: unknown section {outlet_section.key}")
        for broken in outlet.broken_items:
            if broken.kind not in BROKEN_KINDS:
                raise ValueError(f"{outlet.slug}/{broken.slug}: bad kind {broken.kind}")
    paths: set[tuple[str, str]] = set()
    for article in catalog.articles:
        where = (article.outlet, article.path)
        if where in paths:
            raise ValueError(f"duplicate path {article.key}")
        paths.add(where)
        if article.wire_copy_of and article.wire_copy_of not in catalog._by_key:
            raise ValueError(f"{article.key}: wire_copy_of points nowhere")
