"""Plan the digests that are due: one DigestDelivery row per reader per local date.

Safe to run from any number of schedulers at once: rows are inserted with the unique
(reader, kind, local_date) key and conflicts ignored, so planning twice plans once.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import Max

from newsdesk.accounts.models import Reader
from newsdesk.digests import schedule
from newsdesk.digests.models import DigestDelivery
from newsdesk.topics.models import Follow

Status = DigestDelivery.Status
# Deliveries whose window counts as covered: the next digest starts where they ended.
# UNCONFIRMED may have reached the reader, so its stories are not repeated either.
COVERED = [Status.SENT, Status.EMPTY, Status.UNCONFIRMED]
CHUNK = 500


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


def eligible_readers() -> Iterable[tuple[int, str, dt.time]]:
    """(id, time zone, digest time) of readers who receive email and follow something daily."""
    following = Follow.objects.filter(daily=True).values("reader_id")
    return (
        Reader.objects.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True, paused=False
        )
        .filter(id__in=following)
        .values_list("id", "time_zone", "digest_time")
        .iterator(chunk_size=5000)
    )


def last_window_ends(reader_ids: list[int], before: dt.date) -> dict[int, dt.datetime]:
    ends: dict[int, dt.datetime] = {}
    for chunk in _chunks(reader_ids):
        rows = (
            DigestDelivery.objects.filter(
                reader_id__in=chunk,
                kind=DigestDelivery.Kind.DAILY,
                status__in=COVERED,
                local_date__lt=before,
            )
            .values("reader_id")
            .annotate(end=Max("window_end"))
        )
        ends.update((r["reader_id"], r["end"]) for r in rows)
    return ends


def plan_due(now: dt.datetime) -> int:
    """Create delivery rows for readers whose daily digest is due; return how many.

    Only the most recent due time counts, and only while it is not too late to send it:
    a reader who confirms at 15:00 gets their first digest tomorrow morning.
    """
    groups: dict[tuple[str, dt.time], list[int]] = defaultdict(list)
    for reader_id, zone_name, at in eligible_readers():
        groups[(zone_name, at)].append(reader_id)
    created = 0
    for (zone_name, at), reader_ids in groups.items():
        local_date, due = schedule.latest_due(reader_zone(zone_name), at, now)
        if now - due > max_late():
            continue
        created += _plan_group(reader_ids, local_date, due)
    return created


def _plan_group(reader_ids: list[int], local_date: dt.date, due: dt.datetime) -> int:
    created = 0
    for chunk in _chunks(reader_ids):
        planned = set(
            DigestDelivery.objects.filter(
                reader_id__in=chunk, kind=DigestDelivery.Kind.DAILY, local_date=local_date
            ).values_list("reader_id", flat=True)
        )
        todo = [r for r in chunk if r not in planned]
        if not todo:
            continue
        ends = last_window_ends(todo, local_date)
        rows = []
        for reader_id in todo:
            start, end = schedule.window(due, ends.get(reader_id))
            rows.append(
                DigestDelivery(
                    reader_id=reader_id,
                    kind=DigestDelivery.Kind.DAILY,
                    local_date=local_date,
                    due_at=due,
                    window_start=start,
                    window_end=end,
                )
            )
        # Another planner may insert the same rows meanwhile: the unique key decides.
        DigestDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
    return created
