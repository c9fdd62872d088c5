"""senddigests: plan due digests, reap dead claims and send until no work is left.

``--loop`` keeps going (sleeping when idle) until SIGTERM or SIGINT, finishing the
batch in hand first, and waits out a database outage as every job does (jobs.py).
``--processes N`` runs N senders side by side (each one this same command); they claim
disjoint batches, so it is safe and uses every core. Tests call ``run_once`` directly.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from newsdesk.digests.plan import plan_due
from newsdesk.digests.send import BATCH_SIZE, SendContext, reap, send_batch
from newsdesk.jobs import DATABASE_ERRORS, DatabaseRetry, database_unavailable

log = logging.getLogger("newsdesk.digests")
# Reconnect to SMTP after this many messages: servers limit messages per connection.
PER_CONNECTION = 500


def run_once(
    now: dt.datetime | None = None,
    should_stop: Any = lambda: False,
    batch_size: int = BATCH_SIZE,
    plan: bool = True,
) -> int:
    """Plan, reap and send everything due now; return how many rows were handled."""
    current = now or timezone.now()
    if plan:
        planned = plan_due(current)
        reaped = reap(current)
        if planned or reaped:
            log.info("planned %d digests, reaped %d dead claims", planned, reaped)
    steps = 0
    context = SendContext()
    while not should_stop():
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        try:
            connection.open()
        except Exception as exc:  # each send will retry and record the error
            log.warning("cannot open the email connection: %s", exc)
        context.connection = connection
        handled = 0
        try:
            while handled < PER_CONNECTION and not should_stop():
                done = send_batch(now or timezone.now(), context, batch_size)
                if not done:
                    return steps + handled
                handled += done
        finally:
            connection.close()
            context.connection = None
        steps += handled
    return steps


class Command(BaseCommand):
    help = "Send the digests that are due (plan, reap dead claims, send)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="run until stopped")
        parser.add_argument("--idle-seconds", type=float, default=30.0)
        parser.add_argument("--now", help="pretend it is this ISO time (testing, catch-up)")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--processes", type=int, default=1, help="run this many senders side by side"
        )
        parser.add_argument(
            "--no-plan", action="store_true", help="only send (another process plans and reaps)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None or timezone.is_naive(now):
                raise CommandError("--now needs an ISO time with a UTC offset")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        if options["processes"] > 1:
            self._run_processes(options)
            return
        retry = DatabaseRetry("senddigests")
        while True:
            try:
                steps = run_once(
                    now, lambda: self.stopping, options["batch_size"], plan=not options["no_plan"]
                )
            except DATABASE_ERRORS as exc:
                # Looping: wait out a database outage (see newsdesk/jobs.py). A claimed
                # batch it interrupted is reaped as unconfirmed, never sent twice.
                if not options["loop"] or not database_unavailable(exc):
                    raise
                self._sleep(retry.failed(exc))
                if self.stopping:
                    return
                continue
            retry.succeeded()
            self.stdout.write(f"senddigests: {steps} steps")
            if not options["loop"] or self.stopping:
                return
            if steps == 0:
                self._sleep(options["idle_seconds"])
            if self.stopping:
                return

    def _run_processes(self, options: dict[str, Any]) -> None:
        """Start N copies of this command (without --processes) and wait for them all."""
        args = [sys.executable, "-m", "newsdesk", "senddigests"]
        args += ["--batch-size", str(options["batch_size"])]
        args += ["--idle-seconds", str(options["idle_seconds"])]
        if options["loop"]:
            args.append("--loop")
        if options["no_plan"]:
            args.append("--no-plan")
        if options["now"]:
            args += ["--now", options["now"]]
        if not options["no_plan"] and not options["loop"]:
            # One pass: plan once here rather than N times at once. Looping children plan
            # each round themselves (planning concurrently is safe, just repeated work).
            current = parse_datetime(options["now"]) if options["now"] else timezone.now()
            assert current is not None
            plan_due(current)
            reap(current)
            args.append("--no-plan")
        children = [subprocess.Popen(args) for _ in range(options["processes"])]
        failed = 0
        for child in children:
            while True:
                try:
                    failed += child.wait(timeout=0.5) != 0
                    break
                except subprocess.TimeoutExpired:
                    if self.stopping:  # pass the stop on; each finishes its batch
                        for other in children:
                            if other.poll() is None:
                                other.send_signal(signal.SIGTERM)
        if failed:
            raise CommandError(f"{failed} of {len(children)} sender processes failed")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.5, deadline - time.monotonic()))
