"""Group a day's articles into stories by coverage, for the front page.

Two articles tell the same story when the pipeline marked one a duplicate of the other
(``duplicate_of``, wire copies) or when their titles are near-identical once case,
punctuation and an outlet suffix ("… | Outlet", "… - Outlet") are set aside. This is a
deliberately simple stand-in until the stories app groups articles by event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

_SUFFIX = re.compile(r"\s+[|\-–—]\s+[^|\-–—]{1,60}$")
_WORD = re.compile(r"\w+")
# Word-set overlap above which two titles of a few words or more count as one story.
NEAR_IDENTICAL = 0.85
MIN_WORDS_FOR_OVERLAP = 5


class ArticleLike(Protocol):
    pk: int
    title: str
    duplicate_of_id: int | None
    outlet_id: int


A = TypeVar("A", bound=ArticleLike)


@dataclass
class Story(Generic[A]):
    lead: A
    articles: list[A] = field(default_factory=list)

    @property
    def outlet_count(self) -> int:
        return len({article.outlet_id for article in self.articles})

    @property
    def others(self) -> list[A]:
        return [article for article in self.articles if article is not self.lead]


def title_words(title: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_SUFFIX.sub("", title.strip()).casefold()))


def _near_identical(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if a == b:
        return bool(a)
    if min(len(a), len(b)) < MIN_WORDS_FOR_OVERLAP:
        return False
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) >= NEAR_IDENTICAL


class _Groups:
    """Union-find over article ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, key: int) -> int:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            root = self.parent[root]
        self.parent[key] = root
        return root

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def group_stories(articles: Iterable[A]) -> list[Story[A]]:
    """Stories with two or more articles, most outlets first, then most articles.

    ``articles`` should come newest first; the lead of a story is the original its copies
    point to when that is among them, otherwise its earliest article.
    """
    items: Sequence[A] = list(articles)
    groups = _Groups()
    words = {article.pk: title_words(article.title) for article in items}
    by_title: dict[tuple[str, ...], int] = {}
    for article in items:
        groups.find(article.pk)
        if article.duplicate_of_id is not None:
            groups.join(article.pk, article.duplicate_of_id)
        key = words[article.pk]
        if key in by_title:
            groups.join(article.pk, by_title[key])
        elif key:
            by_title[key] = article.pk
    # Titles that differ by a word or two: compare the distinct titles pairwise. The front
    # page reads one day's articles, so this stays a few thousand comparisons.
    distinct = list(by_title.items())
    for i, (words_a, pk_a) in enumerate(distinct):
        for words_b, pk_b in distinct[i + 1 :]:
            if _near_identical(words_a, words_b):
                groups.join(pk_a, pk_b)

    members: dict[int, list[A]] = {}
    for article in items:
        members.setdefault(groups.find(article.pk), []).append(article)
    stories = [Story(lead=_lead(group), articles=group) for group in members.values()]
    stories = [story for story in stories if len(story.articles) > 1]
    stories.sort(key=lambda s: (s.outlet_count, len(s.articles)), reverse=True)
    return stories


def _lead(group: list[A]) -> A:
    copied = {article.duplicate_of_id for article in group}
    for article in reversed(group):
        if article.pk in copied:
            return article
    return group[-1]
