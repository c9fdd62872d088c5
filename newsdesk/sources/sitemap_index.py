"""Following a sitemap index: which of the sitemaps it lists a poll reads, and what they give.

An outlet's index lists hundreds of daily or monthly sitemaps, the newest of which hold
the news. A poll reads only the newest few (by <lastmod>; undated ones after the dated,
in document order), and only those on the source's own site: an index naming another
site's sitemaps would turn our crawler on someone else. An index inside the index is
followed (outlets split theirs by section); one more level is not. Every sitemap costs
one fetch of the budget, nested indexes included, so a poll makes at most
``MAX_CHILD_SITEMAPS`` fetches after the index and reads at most that many times the
client's size cap.

No network and no Django here: ``read`` (given by crawl.py) fetches one sitemap through
the guarded client and parses it, or raises :class:`ChildFailed` in plain words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsdesk.sources.parse import ParsedSitemap, SitemapEntry, canonical_url, same_site

# Sitemaps fetched per poll after the index, nested ones included.
MAX_CHILD_SITEMAPS = 3
# The source's index is depth 0; an index it lists (depth 1) is followed, one below is not.
MAX_INDEX_DEPTH = 1
_NEVER = datetime.min.replace(tzinfo=UTC)


class ChildFailed(Exception):
    """One listed sitemap could not be fetched or read; the message says why."""


Read = Callable[[str], ParsedSitemap]


@dataclass
class IndexRead:
    entries: list[SitemapEntry] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line per sitemap that failed
    problems: list[str] = field(default_factory=list)  # read, but with something to say
    read: int = 0  # sitemaps of articles read
    offsite: list[str] = field(default_factory=list)


def newest_first(children: tuple[SitemapEntry, ...]) -> list[SitemapEntry]:
    """Dated sitemaps newest first, then the undated ones in document order."""
    dated = [child for child in children if child.lastmod is not None]
    # list.sort is stable: sitemaps with the same lastmod keep their document order.
    dated.sort(key=lambda child: child.lastmod or _NEVER, reverse=True)
    return dated + [child for child in children if child.lastmod is None]


def follow_index(
    index: ParsedSitemap,
    site_url: str,
    index_url: str,
    read: Read,
    *,
    may_start: Callable[[], bool] = lambda: True,
    limit: int = MAX_CHILD_SITEMAPS,
) -> IndexRead:
    """Read the newest sitemaps ``index`` lists on ``site_url``'s site, depth first.

    ``may_start`` is asked before each fetch; when it says no, the rest wait for the
    next poll (the poll's time is bounded by the caller).
    """
    walk = _Walk(site_url, read, may_start, limit)
    walk.seen.update({canonical_url(site_url), canonical_url(index_url)})
    walk.follow(index, depth=0)
    walk.result.entries = merged(walk.result.entries)
    return walk.result


class _Walk:
    def __init__(
        self, site_url: str, read: Read, may_start: Callable[[], bool], budget: int
    ) -> None:
        self.site_url, self.read, self.may_start, self.budget = site_url, read, may_start, budget
        self.seen: set[str] = set()
        self.out_of_time = False
        self.result = IndexRead()

    def follow(self, index: ParsedSitemap, depth: int) -> None:
        for child in self._choose(index):
            if self.budget <= 0:
                return
            if self.out_of_time or not self.may_start():
                self._note_out_of_time(child.url)
                return
            self.budget -= 1
            self._visit(child.url, depth + 1)

    def _choose(self, index: ParsedSitemap) -> list[SitemapEntry]:
        chosen = []
        for child in newest_first(index.children):
            key = canonical_url(child.url)
            if key in self.seen:  # the index itself, or one read already this poll
                continue
            if not same_site(self.site_url, child.url):
                self.result.offsite.append(child.url)
                continue
            self.seen.add(key)
            chosen.append(child)
        return chosen

    def _visit(self, url: str, depth: int) -> None:
        try:
            sitemap = self.read(url)
        except ChildFailed as exc:
            self.result.failures.append(f"its sitemap {url[:200]} could not be read: {exc}")
            return
        if sitemap.kind == "index" and depth > MAX_INDEX_DEPTH:
            self.result.problems.append(
                f"{url[:200]} is an index inside an index inside an index; not followed"
            )
        elif sitemap.kind == "index":
            self.follow(sitemap, depth)
        else:
            self.result.read += 1
            self.result.entries.extend(sitemap.entries)
        self.result.problems.extend(f"{url[:200]}: {problem}" for problem in sitemap.problems)

    def _note_out_of_time(self, url: str) -> None:
        if not self.out_of_time:
            self.out_of_time = True
            self.result.problems.append(
                f"out of time for this poll: {url[:200]} and the sitemaps after it were "
                "left for the next one"
            )


def merged(entries: list[SitemapEntry]) -> list[SitemapEntry]:
    """One entry per article (canonical URL), first seen first; what a later sitemap says
    about it (news title, dates, keywords) fills what the first one left out."""
    by_key: dict[str, SitemapEntry] = {}
    for entry in entries:
        key = canonical_url(entry.url)
        first = by_key.get(key)
        by_key[key] = entry if first is None else _fill(first, entry)
    return list(by_key.values())


def _fill(first: SitemapEntry, later: SitemapEntry) -> SitemapEntry:
    return dataclasses.replace(
        first,
        lastmod=first.lastmod or later.lastmod,
        news_title=first.news_title or later.news_title,
        news_published=first.news_published or later.news_published,
        news_keywords=first.news_keywords or later.news_keywords,
        news_language=first.news_language or later.news_language,
        publication_name=first.publication_name or later.publication_name,
    )
