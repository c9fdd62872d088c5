"""Send due digests, one claimed row at a time (the healthchecks pattern).

A row is claimed by a conditional update (PLANNED/FAILED -> SENDING) and acted on only if
exactly one row changed, so any number of senders can run at once and each digest goes
out once. A sender killed after claiming leaves the row in SENDING; ``reap`` later marks
it UNCONFIRMED, which is never sent again automatically: a duplicate digest is worse than
a missing one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from newsdesk.accounts import tokens
from newsdesk.digests import schedule
from newsdesk.digests.compose import SectionCache, compose, followed_topic_ids
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.plan import max_late, reader_zone
from newsdesk.digests.render import digest_email, new_message_id

log = logging.getLogger(__name__)
Status = DigestDelivery.Status
MAX_ATTEMPTS = 5
# Retry a failed message after 1, 5, then 15 minutes (a digest is late after a few hours).
BACKOFF = {1: dt.timedelta(minutes=1), 2: dt.timedelta(minutes=5)}
BACKOFF_LONGEST = dt.timedelta(minutes=15)
CRASH_ENV = "NEWSDESK_TEST_CRASH_AT"


def stuck_after() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "NEWSDESK_DIGEST_STUCK_MINUTES", 15))


def _crash_point(name: str) -> None:
    # Test hook: tests/test_crash.py kills a real sender here to prove a dead worker
    # never causes a second digest. Inert unless the variable names this point.
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def due_candidates(now: dt.datetime, limit: int = 20) -> list[dict[str, Any]]:
    """A few of the earliest due rows: planned ones, and failed ones whose backoff is over."""
    fields = ("id", "status", "attempts", "due_at")
    planned = DigestDelivery.objects.filter(status=Status.PLANNED, due_at__lte=now)
    rows = list(planned.order_by("due_at").values(*fields)[:limit])
    retry = (
        Q(attempts__lte=1, claimed_at__lte=now - BACKOFF[1])
        | Q(attempts=2, claimed_at__lte=now - BACKOFF[2])
        | Q(attempts__gte=3, claimed_at__lte=now - BACKOFF_LONGEST)
    )
    failed = DigestDelivery.objects.filter(retry, status=Status.FAILED, due_at__lte=now)
    rows += failed.order_by("due_at").values(*fields)[:limit]
    return rows


def reap(now: dt.datetime) -> int:
    """Mark rows claimed long ago and never finished as UNCONFIRMED; return how many."""
    return DigestDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - stuck_after()
    ).update(
        status=Status.UNCONFIRMED,
        error="The sender stopped after claiming this digest: not known whether it was sent.",
    )


class SendContext:
    """What a sender keeps between steps: one SMTP connection and the shared sections."""

    def __init__(self, connection: BaseEmailBackend | None = None) -> None:
        self.connection = connection
        self.caches: dict[tuple[dt.datetime, dt.datetime], SectionCache] = {}

    def cache(self, start: dt.datetime, end: dt.datetime) -> SectionCache:
        if (start, end) not in self.caches:
            if len(self.caches) > 64:
                self.caches.clear()
            self.caches[(start, end)] = SectionCache(start, end)
        return self.caches[(start, end)]

    def send(self, message: Any) -> None:
        if self.connection is None:
            get_connection(timeout=settings.EMAIL_TIMEOUT).send_messages([message])
            return
        try:
            self.connection.send_messages([message])
        except Exception:
            # The connection may be dead; start the next message on a fresh one.
            self.connection.close()
            raise


def send_one(now: dt.datetime | None = None, context: SendContext | None = None) -> bool:
    """Do one unit of work on a due digest; return False when there was none."""
    now = now or timezone.now()
    candidates = due_candidates(now)
    if not candidates:
        return False
    # Concurrent senders pick different rows most of the time instead of racing for one.
    row = random.choice(candidates)
    lateness = now - row["due_at"]
    if lateness > max_late():
        DigestDelivery.objects.filter(pk=row["id"], status=row["status"]).update(
            status=Status.SKIPPED,
            error=f"Too late: {_hours(lateness)} after its due time "
            f"(NEWSDESK_DIGEST_MAX_LATE_HOURS={settings.NEWSDESK_DIGEST_MAX_LATE_HOURS:g}).",
        )
        return True
    message_id = new_message_id()
    claimed = DigestDelivery.objects.filter(
        pk=row["id"], status=row["status"], attempts=row["attempts"]
    ).update(
        status=Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        message_id=message_id,
        error="",
    )
    if claimed != 1:
        return True  # another sender got it
    _crash_point("after_claim")
    delivery = DigestDelivery.objects.select_related("reader").get(pk=row["id"])
    deliver(delivery, now, context or SendContext())
    return True


def _hours(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def _finish(delivery: DigestDelivery, status: str, **fields: Any) -> None:
    # Only our own claim may be finished; if the reaper gave up on us meanwhile, the
    # truth (sent or not) still wins over UNCONFIRMED.
    changed = DigestDelivery.objects.filter(
        pk=delivery.pk,
        status__in=[Status.SENDING, Status.UNCONFIRMED],
        claimed_at=delivery.claimed_at,
    ).update(status=status, **fields)
    if changed != 1:
        log.warning("delivery %s changed hands before it was marked %s", delivery.pk, status)


def deliver(delivery: DigestDelivery, now: dt.datetime, context: SendContext) -> None:
    """Compose, render and send one claimed delivery, and record the outcome."""
    reader = delivery.reader
    if not reader.receives_email:
        _finish(delivery, Status.SKIPPED, error="The reader no longer receives email.")
        return
    # The reader may have moved to another time zone (or hour) since planning.
    due = schedule.due_at(reader_zone(reader.time_zone), delivery.local_date, reader.digest_time)
    if due != delivery.due_at:
        if due > now or now - due > max_late():
            _reschedule(delivery, due, now)
            return
        delivery.due_at = due
        delivery.window_end = due
        DigestDelivery.objects.filter(pk=delivery.pk).update(due_at=due, window_end=due)
    topic_ids = followed_topic_ids(reader.pk)
    if not topic_ids:
        _finish(delivery, Status.SKIPPED, error="The reader follows nothing daily.")
        return
    start, end = delivery.window_start, delivery.window_end
    digest = compose(topic_ids, context.cache(start, end).sections(topic_ids), start, end)
    if digest is None:
        _finish(delivery, Status.EMPTY, sent_at=None, article_count=0)
        return
    message = digest_email(
        digest,
        reader_id=reader.pk,
        reader_name=reader.name,
        reader_email=reader.email,
        message_id=delivery.message_id,
        view_url=view_url(delivery.pk),
    )
    try:
        context.send(message)
    except Exception as exc:  # any SMTP or socket error: this message only
        _failed(delivery, exc)
        return
    _crash_point("after_send")
    _finish(delivery, Status.SENT, sent_at=timezone.now(), article_count=digest.article_count)


def _reschedule(delivery: DigestDelivery, due: dt.datetime, now: dt.datetime) -> None:
    if due <= now:
        _finish(delivery, Status.SKIPPED, error="The reader's new digest time has passed.")
        return
    _finish(
        delivery,
        Status.PLANNED,
        due_at=due,
        window_end=due,
        attempts=F("attempts") - 1,
        error="Moved: the reader changed time zone or digest time.",
    )


def _failed(delivery: DigestDelivery, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    log.warning("digest %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
    if delivery.attempts >= MAX_ATTEMPTS:
        _finish(delivery, Status.SKIPPED, error=f"Gave up after {delivery.attempts} tries: {error}")
    else:
        _finish(delivery, Status.FAILED, error=error)


def view_url(delivery_id: int) -> str:
    token = tokens.view_token(delivery_id)
    return settings.SITE_URL + reverse("digests:view", args=[token])
