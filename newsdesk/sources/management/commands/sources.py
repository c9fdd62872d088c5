"""``newsdesk sources add|list|import|export``: follow, inspect and move sources.

    sources add URL [--pick N] [--outlet NAME] [--kind feed|sitemap|html]
                    [--include RE]... [--exclude RE]...
    sources list [--json]
    sources import FILE|-
    sources export FILE|-

A thin layer: discovery is in sources/discover_site.py, adding in sources/registry.py,
OPML in sources/opml_io.py, the words of a source's state in sources/status.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.lib.http import HttpClient
from newsdesk.sources import status
from newsdesk.sources.discover_site import Candidate, DiscoveryError, inspect
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Source
from newsdesk.sources.opml_io import OpmlParseError, export_opml, import_opml
from newsdesk.sources.registry import follow, known_source

KINDS = [kind.value for kind in Source.Kind]


class Command(BaseCommand):
    help = "Add, list, import and export the sources Newsdesk follows."
    # Tests hand in a stdin to answer the "which one?" question.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="follow a feed, sitemap or site")
        add.add_argument("url")
        add.add_argument("--pick", type=int, help="choose candidate N without asking")
        add.add_argument("--outlet", help="outlet name (default: from the site)")
        add.add_argument("--kind", choices=KINDS, help="only consider this kind of source")
        add.add_argument("--include", action="append", default=[], help="regex for links")
        add.add_argument("--exclude", action="append", default=[], help="regex for links")
        listing = actions.add_parser("list", help="every source with its health")
        listing.add_argument("--json", action="store_true")
        imports = actions.add_parser("import", help="follow the sources of an OPML file")
        imports.add_argument("file", help="OPML file, or - for stdin")
        exports = actions.add_parser("export", help="write every source as OPML")
        exports.add_argument("file", help="output file, or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdin: TextIO = options.get("stdin") or sys.stdin
        getattr(self, f"_{options['action']}")(options)

    # -- add -------------------------------------------------------------------

    def _add(self, options: dict[str, Any]) -> None:
        url: str = options["url"]
        known = known_source(url)
        if known is not None:
            self.stdout.write(f"Already followed: {known.url} (source {known.pk})")
            return
        with HttpClient(policy_from_settings()) as client:
            try:
                found = inspect(url, lambda u: client.fetch(u))
            except DiscoveryError as exc:
                raise CommandError(str(exc)) from exc
        candidates = [c for c in found.candidates if c.kind == (options["kind"] or c.kind)]
        if not candidates:
            raise CommandError(f"Nothing of kind {options['kind']} found at {found.url}.")
        chosen = found.direct or self._choose(candidates, options["pick"])
        try:
            source, created = follow(
                chosen.url,
                chosen.kind,
                title=chosen.title,
                outlet_name=options["outlet"],
                include=options["include"],
                exclude=options["exclude"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Added" if created else "Already followed"
        kind = Source.Kind(source.kind).label
        self.stdout.write(f"{verb}: {source.url} ({kind}, outlet {source.outlet.name})")

    def _choose(self, candidates: list[Candidate], pick: int | None) -> Candidate:
        if len(candidates) == 1 and pick is None:
            return candidates[0]
        lines = [f"{n}. {_describe(c)}" for n, c in enumerate(candidates, 1)]
        self.stdout.write("Found:\n" + "\n".join(lines))
        if pick is None:
            if not self.stdin.isatty():
                raise CommandError("Several candidates; choose one with --pick N.")
            self.stdout.write(f"Which one (1-{len(candidates)})? ", ending="")
            self.stdout.flush()
            answer = self.stdin.readline().strip()
            pick = int(answer) if answer.isdigit() else 0
        if not 1 <= pick <= len(candidates):
            raise CommandError(f"Choose a number from 1 to {len(candidates)}.")
        return candidates[pick - 1]

    # -- list ------------------------------------------------------------------

    def _list(self, options: dict[str, Any]) -> None:
        sources = Source.objects.select_related("outlet").order_by("outlet__name", "url")
        rows = [status.describe(source) for source in sources]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        if not rows:
            self.stdout.write("No sources yet. Add one with: newsdesk sources add URL")
        for row in rows:
            self.stdout.write("\n".join(status.lines(row)) + "\n")

    # -- import / export -------------------------------------------------------

    def _import(self, options: dict[str, Any]) -> None:
        name = options["file"]
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}") from exc
        try:
            report = import_opml(data, policy_from_settings())
        except OpmlParseError as exc:
            raise CommandError(f"{name} is not a usable OPML file: {exc}") from exc
        self.stdout.write("\n".join(report.lines()))

    def _export(self, options: dict[str, Any]) -> None:
        export = export_opml()
        if options["file"] == "-":
            self.stdout.write(export.data.decode("utf-8"), ending="")
        else:
            Path(options["file"]).write_bytes(export.data)
        self.stderr.write(
            f"Exported {export.feeds} feeds and {export.others} sitemaps or section pages "
            "(feed readers list only the feeds; Newsdesk imports them all)."
        )


def _describe(candidate: Candidate) -> str:
    kind = Source.Kind(candidate.kind).label
    title = f' "{candidate.title}"' if candidate.title else ""
    return f"{kind}{title}: {candidate.url} ({candidate.found})"
