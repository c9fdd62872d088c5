"""When a reader's digest is due, and which stretch of time it covers.

Pure functions, no database: the planner, the sender and the tests share them. Due times
are kept in the reader's wall clock (07:00 stays 07:00 across daylight-saving changes);
windows are computed in UTC because a local day can be 23, 23.5 or 25 hours long.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

UTC = dt.UTC
DEFAULT_WINDOW = dt.timedelta(hours=24)
# A reader back from a pause should not receive a month of news in one email.
MAX_WINDOW = dt.timedelta(days=3)
WEEKLY_WINDOW = dt.timedelta(days=7)
WEEKLY_MAX_WINDOW = dt.timedelta(days=14)


def local_date(zone: zoneinfo.ZoneInfo, instant: dt.datetime) -> dt.date:
    """The reader's calendar date at ``instant``."""
    return instant.astimezone(zone).date()


def _exists(local: dt.datetime) -> bool:
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None, fold=0)


def local_to_utc(zone: zoneinfo.ZoneInfo, day: dt.date, at: dt.time) -> dt.datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone``.

    Ambiguous times (the repeated hour when clocks fall back) take the first occurrence.
    Nonexistent times (skipped when clocks spring forward) move to the first valid
    instant after them, which is the transition itself.
    """
    wall = dt.datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    if _exists(wall):
        return wall.replace(fold=0).astimezone(UTC)
    # PEP 495: in a gap, fold=1 applies the later offset (an earlier UTC instant) and
    # fold=0 the earlier one. The transition lies between them; find it to the second.
    low = wall.replace(fold=1).astimezone(UTC)
    high = wall.replace(fold=0).astimezone(UTC)
    after = wall.replace(fold=1).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).utcoffset() == after:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0)


def due_at(zone: zoneinfo.ZoneInfo, day: dt.date, at: dt.time) -> dt.datetime:
    """When the digest for local ``day`` is due, in UTC."""
    return local_to_utc(zone, day, at)


def latest_due(
    zone: zoneinfo.ZoneInfo, at: dt.time, now: dt.datetime
) -> tuple[dt.date, dt.datetime]:
    """The most recent due instant at or before ``now``, with its local date."""
    today = local_date(zone, now)
    for day in (today, today - dt.timedelta(days=1), today - dt.timedelta(days=2)):
        due = due_at(zone, day, at)
        if due <= now:
            return day, due
    raise AssertionError("unreachable: a due time two days ago is in the past")


def next_due(zone: zoneinfo.ZoneInfo, at: dt.time, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The first due instant strictly after ``now``, with its local date."""
    today = local_date(zone, now)
    for day in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)):
        due = due_at(zone, day, at)
        if due > now:
            return day, due
    return today + dt.timedelta(days=2), due_at(zone, today + dt.timedelta(days=2), at)


def latest_weekly_due(
    zone: zoneinfo.ZoneInfo, at: dt.time, weekday: int, now: dt.datetime
) -> tuple[dt.date, dt.datetime]:
    """The most recent weekly due instant at or before ``now``: local ``weekday`` at ``at``.

    The weekday is the reader's (Monday in Auckland is still Sunday in UTC).
    """
    today = local_date(zone, now)
    back = (today.weekday() - weekday) % 7
    day = today - dt.timedelta(days=back)
    due = due_at(zone, day, at)
    if due > now:
        day -= dt.timedelta(days=7)
        due = due_at(zone, day, at)
    return day, due


def window(
    due: dt.datetime,
    previous_end: dt.datetime | None,
    default: dt.timedelta = DEFAULT_WINDOW,
    longest: dt.timedelta = MAX_WINDOW,
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC window a digest due at ``due`` covers: since the last sent one, else ``default``.

    The weekly digest passes WEEKLY_WINDOW and WEEKLY_MAX_WINDOW. A week across a
    daylight-saving change is 167 or 169 hours long: the window is still exactly "since the
    last weekly" in UTC, so no article is missed or shown twice.
    """
    start = due - default if previous_end is None else previous_end
    # Never further back than ``longest``, never past the due time (an empty window means
    # an empty digest, which is not sent).
    start = min(max(start, due - longest), due)
    return start.astimezone(UTC), due.astimezone(UTC)
