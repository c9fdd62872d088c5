"""OPML import and export of the followed feeds, with a report of what happened.

Import does not fetch the feeds (a list of 500 would take minutes): each one is checked
by the guarded client's URL rules and added; the scheduler then fetches it, and any
failure shows on the source like any other. Export writes every feed, with its outlet
as the folder, which import reads back as the outlet when it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsdesk.lib.http import FetchPolicy, FetchRefused, parse_url
from newsdesk.sources.models import Outlet, Source
from newsdesk.sources.parse import OpmlFeed, OpmlParseError, build_opml, parse_opml
from newsdesk.sources.registry import follow


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already followed
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    problems: list[str] = field(default_factory=list)  # about the file itself

    def lines(self) -> list[str]:
        out = [
            f"Added {len(self.added)}, skipped {len(self.skipped)} (already followed), "
            f"failed {len(self.failed)}."
        ]
        out += [f"added    {url}" for url in self.added]
        out += [f"skipped  {url} (already followed)" for url in self.skipped]
        out += [f"failed   {url}: {reason}" for url, reason in self.failed]
        out += [f"note     {problem}" for problem in self.problems]
        return out


def import_opml(data: bytes, policy: FetchPolicy | None = None) -> ImportReport:
    """Follow every feed of an OPML file. Raises OpmlParseError if it is not OPML."""
    parsed = parse_opml(data)
    report = ImportReport(problems=list(parsed.problems))
    for feed in parsed.outlines:
        _import_one(feed, report, policy or FetchPolicy())
    return report


def _import_one(feed: OpmlFeed, report: ImportReport, policy: FetchPolicy) -> None:
    try:
        target = parse_url(feed.xml_url, policy)
        if target.ip is not None and (refusal := policy.refusal(target.ip)):
            raise FetchRefused(refusal, feed.xml_url)
    except FetchRefused as exc:
        report.failed.append((feed.xml_url, exc.reason.removeprefix("refused: ")))
        return
    outlet = _outlet_name(feed)
    _, created = follow(feed.xml_url, Source.Kind.FEED, title=feed.title or "", outlet_name=outlet)
    (report.added if created else report.skipped).append(feed.xml_url)


def _outlet_name(feed: OpmlFeed) -> str | None:
    # Our export's folders are outlet names, but other readers' folders are subjects
    # ("Tech", "News") that must not become outlets: a folder is only used when an
    # outlet of that name exists; otherwise the outlet is found from the feed's site.
    if feed.category and Outlet.objects.filter(name=feed.category).exists():
        return feed.category
    return None


def export_opml(title: str = "Newsdesk sources") -> tuple[bytes, int]:
    """The feeds as OPML, and how many non-feed sources (sitemaps, pages) were left out:
    OPML readers only know feeds."""
    feeds = [
        OpmlFeed(s.url, s.outlet.home_url or None, s.title or None, s.outlet.name)
        for s in Source.objects.filter(kind=Source.Kind.FEED).select_related("outlet")
    ]
    others = Source.objects.exclude(kind=Source.Kind.FEED).count()
    return build_opml(feeds, title), others


__all__ = ["ImportReport", "OpmlParseError", "export_opml", "import_opml"]
