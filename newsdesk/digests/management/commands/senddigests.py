"""senddigests: plan due digests, reap dead claims and send until no work is left.

``--loop`` keeps going (sleeping when idle) until SIGTERM or SIGINT, finishing the
message in hand first. Tests call ``run_once`` directly.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from newsdesk.digests.plan import plan_due
from newsdesk.digests.send import SendContext, reap, send_one

log = logging.getLogger("newsdesk.digests")
# Reconnect to SMTP after this many messages: servers limit messages per connection.
BATCH = 500


def run_once(now: dt.datetime | None = None, should_stop: Any = lambda: False) -> int:
    """Plan, reap and send everything due now; return how many steps did work."""
    current = now or timezone.now()
    planned = plan_due(current)
    reaped = reap(current)
    if planned or reaped:
        log.info("planned %d digests, reaped %d dead claims", planned, reaped)
    steps = 0
    while not should_stop():
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        batch = 0
        try:
            connection.open()
        except Exception as exc:  # each send will retry and record the error
            log.warning("cannot open the email connection: %s", exc)
        context = SendContext(connection)
        try:
            while batch < BATCH and not should_stop() and send_one(now or timezone.now(), context):
                batch += 1
        finally:
            connection.close()
        steps += batch
        if batch < BATCH:
            return steps
    return steps


class Command(BaseCommand):
    help = "Send the digests that are due (plan, reap dead claims, send)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="run until stopped")
        parser.add_argument("--idle-seconds", type=float, default=30.0)
        parser.add_argument("--now", help="pretend it is this ISO time (testing, catch-up)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None or timezone.is_naive(now):
                raise CommandError("--now needs an ISO time with a UTC offset")
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        while True:
            steps = run_once(now, lambda: self.stopping)
            self.stdout.write(f"senddigests: {steps} steps")
            if not options["loop"] or self.stopping:
                return
            if steps == 0:
                self._sleep(options["idle_seconds"])
            if self.stopping:
                return

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.5, deadline - time.monotonic()))
