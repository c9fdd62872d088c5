"""processbounces: read bounce and complaint reports (RFC 3464 DSN, RFC 5965 ARF).

    newsdesk processbounces FILE [FILE ...]     one message per file
    newsdesk processbounces -                   one message on standard input
    newsdesk processbounces --maildir DIR       every new message of a maildir, then
                                                marked seen (point the bounce mailbox here)

Permanent failures and complaints suppress the address; temporary ones are logged.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.digests import bounces, suppress


class Command(BaseCommand):
    help = "Read delivery-status and abuse reports; suppress addresses that failed for good."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="message files, or - for standard input")
        parser.add_argument("--maildir", help="read the new messages of this maildir")
        parser.add_argument(
            "--include-seen", action="store_true", help="with --maildir: read cur/ too"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["files"] and not options["maildir"]:
            raise CommandError("name message files, - for standard input, or --maildir DIR")
        reports = events = suppressed = 0
        for raw, done in self._messages(options):
            outcomes = bounces.parse_report(raw)
            reports += bool(outcomes)
            for outcome in outcomes:
                if outcome.kind == suppress.Kind.DELIVERED:
                    continue  # a success notice (NOTIFY=SUCCESS): nothing to act on
                if not suppress.sendable(outcome.email):
                    suppress.record(outcome)  # logs why it is dropped
                    continue
                before = suppress.suppressed_reason(outcome.email)
                suppress.record(outcome)
                events += 1
                suppressed += (
                    before is None and suppress.suppressed_reason(outcome.email) is not None
                )
            done()
        self.stdout.write(
            f"processbounces: {reports} reports, {events} events, {suppressed} addresses suppressed"
        )

    def _messages(self, options: dict[str, Any]) -> Any:
        for name in options["files"]:
            if name == "-":
                yield sys.stdin.buffer.read(), lambda: None
                continue
            try:
                raw = Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {name}: {exc}") from None
            yield raw, lambda: None
        if options["maildir"]:
            directory = options["maildir"]
            if not Path(directory, "new").is_dir():
                raise CommandError(f"{directory} is not a maildir (no new/ folder)")
            for key, raw in list(bounces.iter_maildir(directory, options["include_seen"])):
                yield raw, lambda key=key: bounces.mark_seen(directory, key)
