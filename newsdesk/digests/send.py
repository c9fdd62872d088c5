"""Send due digests in claimed batches (the healthchecks pattern, a batch at a time).

A batch is claimed by one conditional UPDATE over a set of due ids
(PLANNED, or FAILED past its backoff -> SENDING) that stamps every row it changed with
the batch's random token; the sender then reads back only the rows carrying its token.
Each row changes state inside that one statement or not at all, so any number of senders
can run at once and each digest goes out once. A sender killed after claiming leaves its
rows in SENDING; ``reap`` later marks them UNCONFIRMED, which is never sent again
automatically: a duplicate digest is worse than a missing one.

Per batch, not per message: the readers' follows and suppressions are one query each,
the sections of every window in the batch are loaded once (SectionCache, shared across
batches), one SMTP connection carries every message, and the SENT outcomes are recorded
in one UPDATE after the batch. Failures and other outcomes are recorded at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import Case, CharField, DateTimeField, F, PositiveIntegerField, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from newsdesk.accounts import tokens
from newsdesk.digests import schedule, suppress
from newsdesk.digests.compose import SectionCache, compose, followed_topics_by_reader
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.plan import max_late, reader_zone
from newsdesk.digests.render import digest_email, sender_domain

log = logging.getLogger(__name__)
Status = DigestDelivery.Status
MAX_ATTEMPTS = 5
# Rows per claim. Larger batches write less per message; a sender killed mid-batch
# leaves at most this many rows UNCONFIRMED (never resent).
BATCH_SIZE = 50
# Retry a failed message after 1, 5, then 15 minutes (a digest is late after a few hours).
BACKOFF = {1: dt.timedelta(minutes=1), 2: dt.timedelta(minutes=5)}
BACKOFF_LONGEST = dt.timedelta(minutes=15)
CRASH_ENV = "NEWSDESK_TEST_CRASH_AT"


def stuck_after() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "NEWSDESK_DIGEST_STUCK_MINUTES", 15))


def _crash_point(name: str) -> None:
    # Test hook: tests/test_processes.py kills a real sender here to prove a dead worker
    # never causes a second digest. Inert unless the variable names this point.
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def retry_due(now: dt.datetime) -> Q:
    """Failed rows (digests or alerts) whose backoff has passed: 1, 5, then 15 minutes."""
    return (
        Q(attempts__lte=1, claimed_at__lte=now - BACKOFF[1])
        | Q(attempts=2, claimed_at__lte=now - BACKOFF[2])
        | Q(attempts__gte=3, claimed_at__lte=now - BACKOFF_LONGEST)
    )


def claimable(now: dt.datetime) -> Q:
    """Rows a sender may claim now: planned and due, or failed and past their backoff."""
    return Q(due_at__lte=now) & (
        Q(status=Status.PLANNED) | (Q(status=Status.FAILED) & retry_due(now))
    )


def due_candidates(now: dt.datetime, limit: int = 20) -> list[dict[str, Any]]:
    """Some of the earliest due rows: planned ones, and failed ones whose backoff is over."""
    fields = ("id", "status", "attempts", "due_at")
    planned = DigestDelivery.objects.filter(status=Status.PLANNED, due_at__lte=now)
    rows = list(planned.order_by("due_at").values(*fields)[:limit])
    failed = DigestDelivery.objects.filter(retry_due(now), status=Status.FAILED, due_at__lte=now)
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
    """What a sender keeps between batches: one SMTP connection and the shared sections."""

    def __init__(self, connection: BaseEmailBackend | None = None) -> None:
        self.connection = connection
        self.caches: dict[tuple[dt.datetime, dt.datetime], SectionCache] = {}
        self._broken = False

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
        if self._broken:
            self._broken = False
            self.connection.open()
        try:
            self.connection.send_messages([message])
        except Exception as exc:
            # A refused recipient leaves the session usable (smtplib sends RSET); any
            # other error may have killed it: start the next message on a fresh one.
            if not suppress.refused_recipients(exc):
                self.connection.close()
                self._broken = True
            raise


@dataclass
class Batch:
    """One claimed batch and the lookups shared by its rows."""

    token: str
    rows: list[DigestDelivery]
    topics: dict[str, dict[int, list[int]]] = field(default_factory=dict)  # kind -> reader
    suppressed: dict[str, str] = field(default_factory=dict)
    sent: list[tuple[int, int, dt.datetime]] = field(default_factory=list)  # id, count, at


def send_one(now: dt.datetime | None = None, context: SendContext | None = None) -> bool:
    """Send (at most) one due digest; return False when there was no work."""
    return send_batch(now, context, size=1) > 0


def send_batch(
    now: dt.datetime | None = None, context: SendContext | None = None, size: int = BATCH_SIZE
) -> int:
    """Claim up to ``size`` due digests and send them; return how many rows were handled.

    0 means there was no work. Rows lost to another sender count as handled, so a caller
    looping until 0 stops only when nothing is due.
    """
    now = now or timezone.now()
    candidates = due_candidates(now, limit=max(size * 2, 20))
    if not candidates:
        return 0
    fresh = [row for row in candidates if not _skip_if_late(row, now)]
    if not fresh:
        return len(candidates)
    # Concurrent senders pick different rows most of the time instead of racing for one.
    chosen = random.sample(fresh, min(size, len(fresh)))
    batch = claim([row["id"] for row in chosen], now)
    if batch.rows:
        _crash_point("after_claim")
        deliver_batch(batch, now, context or SendContext())
    return len(chosen)


def _skip_if_late(row: dict[str, Any], now: dt.datetime) -> bool:
    lateness = now - row["due_at"]
    if lateness <= max_late():
        return False
    DigestDelivery.objects.filter(pk=row["id"], status=row["status"]).update(
        status=Status.SKIPPED,
        error=f"Too late: {_hours(lateness)} after its due time "
        f"(NEWSDESK_DIGEST_MAX_LATE_HOURS={settings.NEWSDESK_DIGEST_MAX_LATE_HOURS:g}).",
    )
    return True


def claim(ids: Sequence[int], now: dt.datetime) -> Batch:
    """Claim whichever of ``ids`` are still claimable, in one conditional UPDATE."""
    token = secrets.token_hex(8)
    domain = sender_domain(settings.DIGEST_FROM_EMAIL)
    DigestDelivery.objects.filter(claimable(now), pk__in=list(ids)).update(
        status=Status.SENDING,
        claimed_at=now,
        claimed_by=token,
        attempts=F("attempts") + 1,
        # Unique per claim: a retry is a new message, and the row says which one went out.
        message_id=Concat(
            Value(f"<digest.{token}."),
            Cast("id", output_field=CharField()),
            Value(f"@{domain}>"),
            output_field=CharField(),
        ),
        error="",
    )
    rows = DigestDelivery.objects.filter(claimed_by=token, status=Status.SENDING)
    return Batch(token, list(rows.select_related("reader").order_by("id")))


def deliver_batch(batch: Batch, now: dt.datetime, context: SendContext) -> None:
    """Compose, render and send every row of a claimed batch, and record the outcomes."""
    reader_ids: dict[str, list[int]] = {}
    for row in batch.rows:
        reader_ids.setdefault(row.kind, []).append(row.reader_id)
    batch.topics = {kind: followed_topics_by_reader(ids, kind) for kind, ids in reader_ids.items()}
    batch.suppressed = suppress.reasons(row.reader.email for row in batch.rows)
    windows: dict[tuple[dt.datetime, dt.datetime], set[int]] = {}
    for row in batch.rows:
        topic_ids = batch.topics[row.kind][row.reader_id]
        windows.setdefault((row.window_start, row.window_end), set()).update(topic_ids)
    for (start, end), wanted in windows.items():
        context.cache(start, end).sections(sorted(wanted))  # one load per window
    try:
        for row in batch.rows:
            deliver(row, now, context, batch)
    finally:
        _record_sent(batch)


def deliver(delivery: DigestDelivery, now: dt.datetime, context: SendContext, batch: Batch) -> None:
    """Send one claimed delivery; its SENT outcome is left in ``batch.sent`` to record."""
    reader = delivery.reader
    if not reader.receives_email:
        _finish(delivery, Status.SKIPPED, error="The reader no longer receives email.")
        return
    reason = batch.suppressed.get(suppress.normal(reader.email))
    if reason:
        _finish(delivery, Status.SKIPPED, error=suppress.explain(reason))
        return
    if not _still_due(delivery, reader, now):
        return
    topic_ids = batch.topics[delivery.kind][reader.pk]
    if not topic_ids:
        _finish(delivery, Status.SKIPPED, error=f"The reader follows nothing {delivery.kind}.")
        return
    start, end = delivery.window_start, delivery.window_end
    sections = context.cache(start, end).sections(topic_ids)
    digest = compose(topic_ids, sections, start, end, delivery.kind)
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
    batch.sent.append((delivery.pk, digest.article_count, timezone.now()))
    _crash_point("after_send")


def _still_due(delivery: DigestDelivery, reader: Any, now: dt.datetime) -> bool:
    """Honour a time zone, hour or weekly-day change made since planning."""
    if (
        delivery.kind == DigestDelivery.Kind.WEEKLY
        and delivery.local_date.weekday() != reader.weekly_day
    ):
        _finish(delivery, Status.SKIPPED, error="Moved: the reader chose another weekly day.")
        return False
    due = schedule.due_at(reader_zone(reader.time_zone), delivery.local_date, reader.digest_time)
    if due == delivery.due_at:
        return True
    if due > now or now - due > max_late():
        _reschedule(delivery, due, now)
        return False
    delivery.due_at = due
    delivery.window_end = due
    DigestDelivery.objects.filter(pk=delivery.pk).update(due_at=due, window_end=due)
    return True


def _record_sent(batch: Batch) -> None:
    """Mark the batch's sent rows SENT in one statement (ours only, see _finish)."""
    if not batch.sent:
        return
    ids = [pk for pk, _, _ in batch.sent]
    counts = [When(pk=pk, then=Value(count)) for pk, count, _ in batch.sent]
    times = [When(pk=pk, then=Value(at)) for pk, _, at in batch.sent]
    changed = DigestDelivery.objects.filter(
        pk__in=ids, status__in=[Status.SENDING, Status.UNCONFIRMED], claimed_by=batch.token
    ).update(
        status=Status.SENT,
        article_count=Case(*counts, output_field=PositiveIntegerField()),
        sent_at=Case(*times, output_field=DateTimeField()),
    )
    if changed != len(ids):
        log.warning("%d of %d sent digests changed hands before being marked sent",
                    len(ids) - changed, len(ids))  # fmt: skip
    batch.sent.clear()


def _hours(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def _finish(delivery: DigestDelivery, status: str, **fields: Any) -> None:
    # Only our own claim may be finished; if the reaper gave up on us meanwhile, the
    # truth (sent or not) still wins over UNCONFIRMED.
    changed = DigestDelivery.objects.filter(
        pk=delivery.pk,
        status__in=[Status.SENDING, Status.UNCONFIRMED],
        claimed_by=delivery.claimed_by,
    ).update(status=status, **fields)
    if changed != 1:
        log.warning("delivery %s changed hands before it was marked %s", delivery.pk, status)


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
    if suppress.suppress_refused(exc):
        _finish(delivery, Status.SKIPPED, error=f"Refused for good, address suppressed: {error}")
        return
    log.warning("digest %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
    if delivery.attempts >= MAX_ATTEMPTS:
        _finish(delivery, Status.SKIPPED, error=f"Gave up after {delivery.attempts} tries: {error}")
    else:
        _finish(delivery, Status.FAILED, error=error)


def view_url(delivery_id: int) -> str:
    token = tokens.view_token(delivery_id)
    return settings.SITE_URL + reverse("digests:view", args=[token])
