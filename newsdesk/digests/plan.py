"""Plan the digests that are due: one DigestDelivery row per reader, kind and local date.

Daily digests are due every local morning at the reader's digest time, weekly ones on the
reader's weekly day at the same time. Safe to run from any number of schedulers at once:
rows are inserted with the unique (reader, kind, local_date) key and conflicts ignored,
so planning twice plans once. Readers whose address is suppressed get a SKIPPED row with
the reason, so the ledger says why nothing went out.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Lower

from newsdesk.accounts.models import Reader
from newsdesk.digests import schedule
from newsdesk.digests.compose import follow_filter
from newsdesk.digests.models import DigestDelivery, Suppression
from newsdesk.digests.suppress import explain
from newsdesk.topics.models import Follow

Status = DigestDelivery.Status
# Deliveries whose window counts as covered: the next digest starts where they ended.
# UNCONFIRMED may have reached the reader, so its stories are not repeated either.
COVERED = [Status.SENT, Status.EMPTY, Status.UNCONFIRMED]
CHUNK = 500
Kind = DigestDelivery.Kind


@dataclass(frozen=True)
class Cadence:
    kind: str
    default_window: dt.timedelta
    longest_window: dt.timedelta


CADENCES: dict[str, Cadence] = {
    Kind.DAILY: Cadence(Kind.DAILY, schedule.DEFAULT_WINDOW, schedule.MAX_WINDOW),
    Kind.WEEKLY: Cadence(Kind.WEEKLY, schedule.WEEKLY_WINDOW, schedule.WEEKLY_MAX_WINDOW),
}


def max_late() -> dt.timedelta:
    return dt.timedelta(hours=settings.NEWSDESK_DIGEST_MAX_LATE_HOURS)


def reader_zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def eligible_readers(kind: str = Kind.DAILY) -> Iterable[tuple[int, str, dt.time, int, str | None]]:
    """(id, zone, digest time, weekly day, suppression reason) of readers to plan for."""
    following = Follow.objects.filter(**follow_filter(kind)).values("reader_id")
    suppression = Suppression.objects.filter(email=Lower(OuterRef("email"))).values("reason")
    return (
        Reader.objects.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True, paused=False
        )
        .filter(id__in=following)
        .annotate(suppressed=Subquery(suppression[:1]))
        .values_list("id", "time_zone", "digest_time", "weekly_day", "suppressed")
        .iterator(chunk_size=5000)
    )


def last_window_ends(
    reader_ids: list[int], before: dt.date, kind: str = Kind.DAILY
) -> dict[int, dt.datetime]:
    ends: dict[int, dt.datetime] = {}
    for chunk in _chunks(reader_ids):
        rows = (
            DigestDelivery.objects.filter(
                reader_id__in=chunk,
                kind=kind,
                status__in=COVERED,
                local_date__lt=before,
            )
            .values("reader_id")
            .annotate(end=Max("window_end"))
        )
        ends.update((r["reader_id"], r["end"]) for r in rows)
    return ends


def latest_due(
    kind: str, zone: zoneinfo.ZoneInfo, at: dt.time, weekday: int, now: dt.datetime
) -> tuple[dt.date, dt.datetime]:
    if kind == Kind.WEEKLY:
        return schedule.latest_weekly_due(zone, at, weekday, now)
    return schedule.latest_due(zone, at, now)


def plan_due(now: dt.datetime) -> int:
    """Create delivery rows for readers whose daily or weekly digest is due; return how many.

    Only the most recent due time counts, and only while it is not too late to send it:
    a reader who confirms at 15:00 gets their first digest tomorrow morning.
    """
    return plan_kind(Kind.DAILY, now) + plan_kind(Kind.WEEKLY, now)


def plan_kind(kind: str, now: dt.datetime) -> int:
    groups: dict[tuple[str, dt.time, int], list[int]] = defaultdict(list)
    suppressed: dict[int, str] = {}
    for reader_id, zone_name, at, weekday, reason in eligible_readers(kind):
        groups[(zone_name, at, weekday if kind == Kind.WEEKLY else 0)].append(reader_id)
        if reason:
            suppressed[reader_id] = reason
    created = 0
    for (zone_name, at, weekday), reader_ids in groups.items():
        local_date, due = latest_due(kind, reader_zone(zone_name), at, weekday, now)
        if now - due > max_late():
            continue
        created += _plan_group(CADENCES[kind], reader_ids, local_date, due, suppressed)
    return created


def _plan_group(
    cadence: Cadence,
    reader_ids: list[int],
    local_date: dt.date,
    due: dt.datetime,
    suppressed: dict[int, str],
) -> int:
    created = 0
    for chunk in _chunks(reader_ids):
        planned = set(
            DigestDelivery.objects.filter(
                reader_id__in=chunk, kind=cadence.kind, local_date=local_date
            ).values_list("reader_id", flat=True)
        )
        todo = [r for r in chunk if r not in planned]
        if not todo:
            continue
        ends = last_window_ends(todo, local_date, cadence.kind)
        rows = []
        for reader_id in todo:
            start, end = schedule.window(
                due, ends.get(reader_id), cadence.default_window, cadence.longest_window
            )
            row = DigestDelivery(
                reader_id=reader_id,
                kind=cadence.kind,
                local_date=local_date,
                due_at=due,
                window_start=start,
                window_end=end,
            )
            if reader_id in suppressed:
                row.status = Status.SKIPPED
                row.error = explain(suppressed[reader_id])
            rows.append(row)
        # Another planner may insert the same rows meanwhile: the unique key decides.
        DigestDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
    return created
