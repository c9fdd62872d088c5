from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.digests import schedule

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")
SEVEN = dt.time(7, 0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def day_length(zone: zoneinfo.ZoneInfo, day: dt.date) -> dt.timedelta:
    before = schedule.due_at(zone, day - dt.timedelta(days=1), SEVEN)
    start, end = schedule.window(schedule.due_at(zone, day, SEVEN), before)
    return end - start


@pytest.mark.parametrize(
    ("zone", "day", "due", "hours"),
    [
        (BERLIN, dt.date(2026, 3, 29), utc(2026, 3, 29, 5), 23),
        (BERLIN, dt.date(2026, 10, 25), utc(2026, 10, 25, 6), 25),
        (BERLIN, dt.date(2027, 3, 28), utc(2027, 3, 28, 5), 23),
        (BERLIN, dt.date(2027, 10, 31), utc(2027, 10, 31, 6), 25),
        (NEW_YORK, dt.date(2026, 3, 8), utc(2026, 3, 8, 11), 23),
        (NEW_YORK, dt.date(2026, 11, 1), utc(2026, 11, 1, 12), 25),
        (NEW_YORK, dt.date(2027, 3, 14), utc(2027, 3, 14, 11), 23),
        (NEW_YORK, dt.date(2027, 11, 7), utc(2027, 11, 7, 12), 25),
        (LORD_HOWE, dt.date(2026, 4, 5), utc(2026, 4, 4, 20, 30), 24.5),
        (LORD_HOWE, dt.date(2026, 10, 4), utc(2026, 10, 3, 20), 23.5),
        (LORD_HOWE, dt.date(2027, 4, 4), utc(2027, 4, 3, 20, 30), 24.5),
        (LORD_HOWE, dt.date(2027, 10, 3), utc(2027, 10, 2, 20), 23.5),
    ],
)
def test_it_keeps_seven_local_across_dst_and_measures_the_window_in_utc(
    zone: zoneinfo.ZoneInfo, day: dt.date, due: dt.datetime, hours: float
) -> None:
    assert schedule.due_at(zone, day, SEVEN) == due
    assert schedule.due_at(zone, day, SEVEN).astimezone(zone).time() == SEVEN
    assert day_length(zone, day) == dt.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # Spring forward: the wall time does not exist; the transition instant is next.
        (BERLIN, dt.date(2026, 3, 29), dt.time(2, 30), utc(2026, 3, 29, 1)),
        (NEW_YORK, dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7)),
        (LORD_HOWE, dt.date(2026, 10, 4), dt.time(2, 10), utc(2026, 10, 3, 15, 30)),
        (NEW_YORK, dt.date(2027, 3, 14), dt.time(2, 0), utc(2027, 3, 14, 7)),
    ],
)
def test_it_moves_a_nonexistent_time_to_the_first_valid_instant_after(
    zone: zoneinfo.ZoneInfo, day: dt.date, at: dt.time, expected: dt.datetime
) -> None:
    due = schedule.local_to_utc(zone, day, at)
    assert due == expected
    local = due.astimezone(zone)
    assert local.date() == day and local.time() > at
    # One second earlier is still before the requested wall time: nothing valid between.
    assert (due - dt.timedelta(seconds=1)).astimezone(zone).time() < at


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (BERLIN, dt.date(2026, 10, 25), dt.time(2, 30), utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30)),
        (LORD_HOWE, dt.date(2026, 4, 5), dt.time(1, 45), utc(2026, 4, 4, 14, 45)),
    ],
)
def test_it_takes_the_first_of_an_ambiguous_time(
    zone: zoneinfo.ZoneInfo, day: dt.date, at: dt.time, expected: dt.datetime
) -> None:
    assert schedule.local_to_utc(zone, day, at) == expected


def test_it_finds_the_latest_and_next_due_times() -> None:
    now = utc(2026, 3, 29, 4, 59)  # 06:59 in Berlin, the day clocks spring forward
    assert schedule.latest_due(BERLIN, SEVEN, now) == (dt.date(2026, 3, 28), utc(2026, 3, 28, 6))
    assert schedule.next_due(BERLIN, SEVEN, now) == (dt.date(2026, 3, 29), utc(2026, 3, 29, 5))
    assert schedule.latest_due(BERLIN, SEVEN, utc(2026, 3, 29, 5)) == (
        dt.date(2026, 3, 29),
        utc(2026, 3, 29, 5),
    )


def test_it_starts_the_window_at_the_last_digest_and_caps_it() -> None:
    due = utc(2026, 6, 2, 7)
    assert schedule.window(due, None) == (utc(2026, 6, 1, 7), due)
    assert schedule.window(due, utc(2026, 6, 1, 9)) == (utc(2026, 6, 1, 9), due)
    assert schedule.window(due, utc(2026, 5, 1)) == (due - schedule.MAX_WINDOW, due)
    # A window that would end before it starts (time-zone change) is empty, not 24 h.
    assert schedule.window(due, utc(2026, 6, 2, 9)) == (due, due)


ZONES = st.sampled_from(
    [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
        "America/Santiago",
        "Pacific/Chatham",
        "Africa/Casablanca",
        "America/Havana",
    ]
)


@given(
    zone_name=ZONES,
    day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
    at=st.times(),
)
def test_it_always_returns_the_wall_time_or_the_first_instant_after(
    zone_name: str, day: dt.date, at: dt.time
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    at = at.replace(microsecond=0)
    due = schedule.local_to_utc(zone, day, at)
    wanted = dt.datetime.combine(day, at)
    local = due.astimezone(zone).replace(tzinfo=None)
    assert local >= wanted
    assert (due - dt.timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None) < wanted
    if local == wanted:
        assert due.astimezone(zone).fold == 0
