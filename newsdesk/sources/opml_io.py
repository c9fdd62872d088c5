"""OPML import and export of every source, with a report of what happened.

Import does not fetch anything (a list of 500 would take minutes): each address is
checked by the guarded client's URL rules and added through ``registry.follow`` (once
per URL); the scheduler then fetches it, and any failure shows on the source like any
other. A bad entry is reported by its URL and never stops the rest of the file.

Export writes every source under its outlet's folder: feeds as the standard outlines
any feed reader takes, sitemaps and section pages as link outlines marked in our own
namespace (see parse/opml.py), which feed readers ignore and import reads back as the
same kind, outlet and link patterns.

Other tools' ``type="link"`` outlines are left out, with the reason: they are
bookmarks of any web page, and following one as a section page would crawl whatever
links it has. ``sources add URL`` shows what such a page offers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from newsdesk.lib.http import FetchPolicy, FetchRefused, parse_url
from newsdesk.sources.models import Outlet, Source
from newsdesk.sources.parse import OpmlOutline, OpmlParseError, build_opml, parse_opml
from newsdesk.sources.parse.opml import FEED, INCLUDE, LINK, SECTION, SITEMAP
from newsdesk.sources.registry import follow

log = logging.getLogger(__name__)

MAX_URL = 2000  # Source.url and Outlet.home_url

# The OPML kinds (parse/opml.py) of each Source.Kind, and back.
SOURCE_KINDS: dict[str, Source.Kind] = {
    FEED: Source.Kind.FEED,
    SITEMAP: Source.Kind.SITEMAP,
    SECTION: Source.Kind.HTML,
}
OPML_KINDS: dict[str, str] = {kind.value: name for name, kind in SOURCE_KINDS.items()}

PLAIN_LINK = (
    'a plain web link (type="link") not marked as a feed, sitemap or section page; '
    "to follow it, add it with `newsdesk sources add URL`, which shows what it offers"
)
OTHER_OPML = "a link to another OPML file; import that file on its own"


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already followed
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (url, why): not sources
    problems: list[str] = field(default_factory=list)  # about the file itself

    def lines(self) -> list[str]:
        out = [
            f"Added {len(self.added)}, skipped {len(self.skipped)} (already followed), "
            f"failed {len(self.failed)}, left out {len(self.left_out)}."
        ]
        out += [f"added    {url}" for url in self.added]
        out += [f"skipped  {url} (already followed)" for url in self.skipped]
        out += [f"failed   {url}: {reason}" for url, reason in self.failed]
        out += [f"left out {url}: {reason}" for url, reason in self.left_out]
        out += [f"note     {problem}" for problem in self.problems]
        return out

    def fail(self, url: str, reason: str) -> None:
        log.warning("OPML import: not following %s: %s", url, reason)
        self.failed.append((url, reason))


def import_opml(data: bytes, policy: FetchPolicy | None = None) -> ImportReport:
    """Follow every source of an OPML file. Raises OpmlParseError if it is not OPML."""
    parsed = parse_opml(data)
    report = ImportReport(problems=list(parsed.problems))
    for outline in parsed.outlines:
        _import_one(outline, report, policy or FetchPolicy())
    log.info("OPML import: %s", report.lines()[0])
    return report


def _import_one(outline: OpmlOutline, report: ImportReport, policy: FetchPolicy) -> None:
    url = outline.url
    if outline.kind in (LINK, INCLUDE):
        report.left_out.append((url, PLAIN_LINK if outline.kind == LINK else OTHER_OPML))
        return
    kind = SOURCE_KINDS.get(outline.kind)
    if kind is None:
        known = ", ".join(SOURCE_KINDS)
        report.fail(url, f"unknown kind {outline.kind!r} (Newsdesk reads {known})")
        return
    if outline.problem:
        report.fail(url, outline.problem)
        return
    if len(url) > MAX_URL:
        report.fail(url[:100] + "…", f"the address is longer than {MAX_URL} characters")
        return
    try:
        target = parse_url(url, policy)
        if target.ip is not None and (refusal := policy.refusal(target.ip)):
            raise FetchRefused(refusal, url)
    except FetchRefused as exc:
        report.fail(url, exc.reason.removeprefix("refused: "))
        return
    try:
        source, created = follow(
            url,
            kind,
            title=outline.title or "",
            outlet_name=_outlet_name(outline),
            include=list(outline.include),
            exclude=list(outline.exclude),
        )
    except ValueError as exc:  # a link pattern that is not a regular expression
        report.fail(url, str(exc))
        return
    if created:
        _fill_home(source.outlet, outline)
    (report.added if created else report.skipped).append(url)


def _outlet_name(outline: OpmlOutline) -> str | None:
    # Our export names the outlet exactly (newsdesk:outlet). Other readers' folders are
    # subjects ("Tech", "News") that must not become outlets: a folder is only used when
    # an outlet of that name exists; otherwise the outlet is found from the site.
    if outline.outlet:
        return outline.outlet
    if outline.category and Outlet.objects.filter(name=outline.category).exists():
        return outline.category
    return None


def _fill_home(outlet: Outlet, outline: OpmlOutline) -> None:
    # An outlet made from our export's name has no site yet; the export carries it.
    home = outline.html_url or ""
    if outline.outlet and home and len(home) <= MAX_URL and not outlet.home_url:
        outlet.home_url = home
        outlet.save(update_fields=["home_url"])


def _patterns(source: Source, value: object) -> tuple[str, ...]:
    # Link patterns only steer section pages; the admin edits them as raw JSON.
    if source.kind != Source.Kind.HTML or not isinstance(value, list):
        return ()
    return tuple(str(pattern) for pattern in value)


@dataclass(frozen=True)
class OpmlExport:
    data: bytes
    feeds: int  # what a feed reader will see
    others: int  # sitemaps and section pages, kept for Newsdesk


def export_opml(title: str = "Newsdesk sources") -> OpmlExport:
    """Every source as OPML, grouped by outlet."""
    outlines = [
        OpmlOutline(
            source.url,
            html_url=source.outlet.home_url or None,
            title=source.title or None,
            category=source.outlet.name,
            # An unknown kind is written as it is: import then reports it, not guesses.
            kind=OPML_KINDS.get(source.kind, source.kind),
            outlet=source.outlet.name,
            include=_patterns(source, source.include_patterns),
            exclude=_patterns(source, source.exclude_patterns),
        )
        for source in Source.objects.select_related("outlet").order_by("outlet__name", "url")
    ]
    feeds = sum(1 for outline in outlines if outline.kind == FEED)
    return OpmlExport(build_opml(outlines, title), feeds, len(outlines) - feeds)


__all__ = ["ImportReport", "OpmlExport", "OpmlParseError", "export_opml", "import_opml"]
