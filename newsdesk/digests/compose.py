"""What goes into one reader's digest.

A digest is every topic the reader follows daily (or weekly, for the weekly digest), in
follow order, each with the stories that joined the topic in the digest's window, ranked
by coverage (outlets, then articles, then recency) and cut to the top N. Sections are
composed once per (topic, window) in a SectionCache and shared by every reader following
that topic; only the cheap per-reader step (drop stories already shown under an earlier
topic, add "also in" notes) runs per reader. The sender and bench/digest.py both rely on that.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags

from newsdesk.topics.models import Follow, Topic, TopicArticle
from newsdesk.web.templatetags.web_tags import safe_url

MAX_STORIES_PER_SECTION = 10
# A week holds more news than a morning; the weekly keeps only the most covered stories.
WEEKLY_STORIES_PER_SECTION = 5
DAILY, WEEKLY = "daily", "weekly"  # DigestDelivery.Kind values
SNIPPET_CHARS = 280
# An article fetched a little late still joins the next digest, but an old article newly
# matched by a freshly created saved search does not flood it.
LATE_ARRIVAL = dt.timedelta(hours=2)
SAME_TITLE_RATIO = 0.85

# Sentences that are the outlet's furniture, not the story ("Sign up for our newsletter").
_BOILERPLATE = re.compile(
    r"^\s*(sign up|subscribe|receive free|click here|advertisement|share (this|post)|"
    r"read more|follow us|already a subscriber|get the latest)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Story:
    """One event as told by one or more articles (wire copies, syndication)."""

    key: int  # lead article id
    article_ids: frozenset[int]
    title: str
    snippet: str
    url: str  # our article page
    source_url: str  # the outlet's http(s) URL, or "" (never a javascript: or data: URL)
    outlets: tuple[str, ...]
    published_at: dt.datetime
    # Rendered fragments, filled once by render.py and reused for every reader.
    fragments: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Section:
    topic_id: int
    name: str
    url: str
    stories: tuple[Story, ...]
    article_ids: frozenset[int]
    fragments: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class DigestItem:
    story: Story
    also_in: tuple[str, ...]


@dataclass(frozen=True)
class DigestSection:
    section: Section
    items: tuple[DigestItem, ...]
    more: int  # stories left out by the per-section cap


@dataclass(frozen=True)
class Digest:
    window_start: dt.datetime
    window_end: dt.datetime
    sections: tuple[DigestSection, ...]
    kind: str = DAILY

    @property
    def story_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def article_count(self) -> int:
        return sum(len(i.story.article_ids) for s in self.sections for i in s.items)

    @property
    def topic_names(self) -> list[str]:
        return [s.section.name for s in self.sections]


def clean_snippet(snippet: str, text: str, limit: int = SNIPPET_CHARS) -> str:
    """A readable lead: the snippet (else the text) without markup or sign-up boilerplate."""
    for raw in (snippet, text):
        plain = " ".join(html.unescape(strip_tags(raw or "")).split())
        sentences = [s for s in _SENTENCE_END.split(plain) if s and not _BOILERPLATE.match(s)]
        cleaned = " ".join(sentences)
        if cleaned:
            return _truncate(cleaned, limit)
    return ""


def _truncate(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    cut = value[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


def title_tokens(title: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(title))


def same_title(a: frozenset[str], b: frozenset[str]) -> bool:
    """Near-identical headlines: Dice overlap of word sets (order and case ignored)."""
    if not a or not b:
        return False
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    return 2 * len(a & b) / (len(a) + len(b)) >= SAME_TITLE_RATIO


def _normal_url(url: str) -> str:
    url = re.sub(r"^https?://(www\.)?", "", url.strip().lower())
    return url.split("#", 1)[0].rstrip("/")


class _Groups:
    """Union-find over article ids."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.parent = {i: i for i in ids}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group_stories(rows: Sequence[Mapping[str, Any]]) -> list[Story]:
    """Group one topic's articles into stories, ranked by coverage, then recency.

    Rows are article dicts (see SectionCache._load). Articles are one story when one is a
    duplicate of the other, their canonical URLs match or their titles are near-identical.
    """
    by_id = {r["id"]: r for r in rows}
    groups = _Groups(by_id)
    seen_url: dict[str, int] = {}
    for r in rows:
        if r["duplicate_of_id"] in by_id:
            groups.union(r["id"], r["duplicate_of_id"])
        url = _normal_url(r["canonical_url"])
        if url in seen_url:
            groups.union(r["id"], seen_url[url])
        seen_url.setdefault(url, r["id"])
    tokens = [(r["id"], title_tokens(r["title"])) for r in rows]
    for i, (id_a, tok_a) in enumerate(tokens):
        for id_b, tok_b in tokens[i + 1 :]:
            if same_title(tok_a, tok_b):
                groups.union(id_a, id_b)
    members: dict[int, list[Mapping[str, Any]]] = {}
    for r in rows:
        members.setdefault(groups.find(r["id"]), []).append(r)
    stories = [_story(m) for m in members.values()]
    stories.sort(key=lambda s: (-len(s.outlets), -len(s.article_ids), -s.published_at.timestamp()))
    return stories


def _story(members: list[Mapping[str, Any]]) -> Story:
    members = sorted(members, key=lambda r: (r["duplicate_of_id"] is not None, r["published_at"]))
    lead = members[0]
    outlets = tuple(dict.fromkeys(r["outlet_name"] for r in members))
    return Story(
        key=lead["id"],
        article_ids=frozenset(r["id"] for r in members),
        title=" ".join(lead["title"].split()),
        snippet=clean_snippet(lead["snippet"], lead["text"]),
        url=settings.SITE_URL + _article_path(lead["id"]),
        source_url=safe_url(lead["url"]),
        outlets=outlets,
        published_at=max(r["published_at"] for r in members),
    )


def _article_path(article_id: int) -> str:
    head, tail = _article_pattern()
    return f"{head}{article_id}{tail}"


@functools.cache
def _article_pattern() -> tuple[str, str]:
    # reverse() costs ~50 µs; thousands of stories per window make that add up.
    head, _, tail = reverse("web:article", args=[987654321]).partition("987654321")
    return head, tail


class SectionCache:
    """Sections for one window, composed once per topic and shared by all readers."""

    def __init__(self, window_start: dt.datetime, window_end: dt.datetime) -> None:
        self.window_start = window_start
        self.window_end = window_end
        self._sections: dict[int, Section] = {}
        self._loaded: set[int] = set()

    def sections(self, topic_ids: Iterable[int]) -> dict[int, Section]:
        wanted = list(dict.fromkeys(topic_ids))
        missing = [t for t in wanted if t not in self._loaded]
        for start in range(0, len(missing), 500):  # SQLite caps query parameters
            chunk = missing[start : start + 500]
            self._load(chunk)
            self._loaded.update(chunk)
        return {t: self._sections[t] for t in wanted if t in self._sections}

    def _load(self, topic_ids: list[int]) -> None:
        rows: dict[int, list[dict[str, Any]]] = {t: [] for t in topic_ids}
        matches = TopicArticle.objects.filter(
            topic_id__in=topic_ids,
            matched_at__gte=self.window_start,
            matched_at__lt=self.window_end,
            article__published_at__gte=self.window_start - LATE_ARRIVAL,
        ).values(
            "topic_id",
            "article_id",
            "article__title",
            "article__snippet",
            "article__text",
            "article__url",
            "article__canonical_url",
            "article__published_at",
            "article__duplicate_of_id",
            "article__outlet__name",
        )
        for m in matches.iterator(chunk_size=2000):
            row: dict[str, Any] = {k.removeprefix("article__"): v for k, v in m.items()}
            row["id"] = m["article_id"]
            row["text"] = row["text"][:2000]  # enough for a snippet
            row["outlet_name"] = row.pop("outlet__name")
            rows[m["topic_id"]].append(row)
        for topic_id, name, slug in Topic.objects.filter(id__in=topic_ids).values_list(
            "id", "name", "slug"
        ):
            self._sections[topic_id] = Section(
                topic_id=topic_id,
                name=clean_name(name),
                url=settings.SITE_URL + reverse("web:topic", args=[slug]),
                stories=tuple(group_stories(rows[topic_id])),
                article_ids=frozenset(r["id"] for r in rows[topic_id]),
            )


def clean_name(value: str) -> str:
    """One line of printable text: names end up in headers and subject lines."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def stories_per_section(kind: str) -> int:
    return WEEKLY_STORIES_PER_SECTION if kind == WEEKLY else MAX_STORIES_PER_SECTION


def compose(
    topic_ids: Sequence[int],
    sections: Mapping[int, Section],
    window_start: dt.datetime,
    window_end: dt.datetime,
    kind: str = DAILY,
) -> Digest | None:
    """A reader's digest from shared sections; None when there is nothing to send.

    Each story appears once, under the first followed topic that has it, with a note
    naming the reader's later followed topics that have it too.
    """
    ordered = [sections[t] for t in topic_ids if t in sections]
    out: list[DigestSection] = []
    shown: set[int] = set()
    for index, section in enumerate(ordered):
        items: list[DigestItem] = []
        stories = section.stories[: stories_per_section(kind)]
        for story in stories:
            if not shown.isdisjoint(story.article_ids):
                continue
            shown.update(story.article_ids)
            later = tuple(
                other.name
                for other in ordered[index + 1 :]
                if not other.article_ids.isdisjoint(story.article_ids)
            )
            items.append(DigestItem(story, later))
        if items:
            out.append(DigestSection(section, tuple(items), len(section.stories) - len(stories)))
    if not out:
        return None
    return Digest(window_start, window_end, tuple(out), kind)


def follow_filter(kind: str) -> dict[str, bool]:
    return {"weekly": True} if kind == WEEKLY else {"daily": True}


def followed_topic_ids(reader_id: int, kind: str = DAILY) -> list[int]:
    """Topics the reader gets in this kind of digest, in the order they followed them."""
    return list(
        Follow.objects.filter(reader_id=reader_id, **follow_filter(kind))
        .order_by("created", "id")
        .values_list("topic_id", flat=True)
    )


def followed_topics_by_reader(reader_ids: Sequence[int], kind: str = DAILY) -> dict[int, list[int]]:
    """followed_topic_ids for many readers in one query (the batch sender's way)."""
    out: dict[int, list[int]] = {r: [] for r in reader_ids}
    for start in range(0, len(reader_ids), 500):
        rows = (
            Follow.objects.filter(reader_id__in=reader_ids[start : start + 500])
            .filter(**follow_filter(kind))
            .order_by("created", "id")
            .values_list("reader_id", "topic_id")
        )
        for reader_id, topic_id in rows:
            out[reader_id].append(topic_id)
    return out


def compose_for_reader(
    reader_id: int,
    window_start: dt.datetime,
    window_end: dt.datetime,
    cache: SectionCache | None = None,
    kind: str = DAILY,
) -> Digest | None:
    if cache is None or (cache.window_start, cache.window_end) != (window_start, window_end):
        cache = SectionCache(window_start, window_end)
    topic_ids = followed_topic_ids(reader_id, kind)
    return compose(topic_ids, cache.sections(topic_ids), window_start, window_end, kind)
