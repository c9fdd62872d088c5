import logging
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsdesk.sample.demo import DEFAULT_PORT, DemoReport, run_demo


class Command(BaseCommand):
    help = (
        "Serve the bundled sample news on 127.0.0.1, ingest it, and write each demo "
        "reader's Daily Digest. Safe to run again: nothing is duplicated."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=DEFAULT_PORT,
            help="first of the local ports the sample outlets are served on (one each); "
            "keep it the same between runs so article URLs stay the same",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] < 2:
            # The summary below says what happened; per-fetch lines are for -v 2.
            logging.getLogger("newsdesk").setLevel(logging.ERROR)
        try:
            report = run_demo(port=options["port"])
        except OSError as exc:
            raise CommandError(
                f"Could not serve the sample sites on 127.0.0.1 from port {options['port']}: "
                f"{exc}. Free those ports or pass --port."
            ) from exc
        self.print_report(report)

    def print_report(self, report: DemoReport) -> None:
        out = self.stdout.write
        out(f"Sources: {report.sources} ({len(report.source_errors)} with errors)")
        for line in report.source_errors:
            out(f"  ! {line}")
        out(f"Items listed: {report.items}")
        out(f"Articles: {report.articles} ({report.new_articles} new this run)")
        if report.page_problems:
            out(f"Pages not stored ({len(report.page_problems)}), recorded on their sources:")
            for line in report.page_problems:
                out(f"  ! {line}")
        out("Topics:")
        for name, count in report.topics.items():
            out(f"  {name}: {count} articles")
        out(f"Readers: {report.readers}")
        out(f"Digests ({len(report.digests)}), written to {settings.OUTBOX_DIR}:")
        for line in report.digests:
            out(f"  {line}")
        for email in report.skipped_readers:
            out(f"  {email}: follows nothing daily, no email")
        out("")
        out("Browse the site: make serve, then open http://127.0.0.1:8000/")
