"""sendalerts: instant alerts, within a minute of a match (``--loop`` to keep running).

A process of its own rather than a part of senddigests' loop: digests are a morning burst
that may keep a sender busy for minutes, and an alert must not wait behind it. Any number
of sendalerts processes may run; rows are claimed by conditional update.
"""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone

from newsdesk.digests import alerts
from newsdesk.digests.send import SendContext
from newsdesk.jobs import JobCommand

# Look for new matches at most this often while there are alerts to send.
PLAN_EVERY = 5.0


class Command(JobCommand):
    help = "Send instant alerts for new articles on topics readers follow instantly."
    idle_seconds = 10.0  # plus the fetcher's own delay, well inside a minute

    def handle(self, *args: Any, **options: Any) -> None:
        self.context = SendContext()
        self.planned_at = 0.0
        alerts.reap_alerts(timezone.now())
        super().handle(*args, **options)

    def step(self) -> bool:
        now = timezone.now()
        planned = 0
        if time.monotonic() - self.planned_at >= PLAN_EVERY:
            self.planned_at = time.monotonic()
            alerts.reap_alerts(now)
            planned = alerts.plan_alerts(now)
        sent = alerts.send_alert(now, self.context)
        if not sent:
            self.planned_at = 0.0  # idle: look again as soon as the sleep ends
        return sent or planned > 0
