from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from newsdesk.accounts.models import Reader
from newsdesk.digests import schedule
from newsdesk.digests.compose import compose_for_reader
from newsdesk.digests.management.commands.senddigests import run_once
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.plan import plan_due
from newsdesk.digests.tests.helpers import Sink, make_article, make_outlet, make_reader, make_topic
from newsdesk.topics.models import Follow, Topic

pytestmark = pytest.mark.django_db
UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
Kind, Status = DigestDelivery.Kind, DigestDelivery.Status
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def weekly_reader(email: str, topics: list[Topic], zone: str = "UTC", day: int = 0) -> Reader:
    reader = make_reader(email, zone=zone, topics=[])
    reader.weekly_day = day
    reader.save(update_fields=["weekly_day"])
    for i, topic in enumerate(topics):
        Follow.objects.create(
            reader=reader,
            topic=topic,
            daily=False,
            weekly=True,
            created=dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=i),
        )
    return reader


def test_it_finds_the_weekly_due_time_on_the_readers_own_weekday() -> None:
    # Monday 07:00 in Berlin: Sunday 29 March 2026 clocks go forward, so the Monday
    # before is 06:00 UTC and the Monday after 05:00 UTC.
    before = schedule.latest_weekly_due(BERLIN, dt.time(7), 0, dt.datetime(2026, 3, 28, tzinfo=UTC))
    after = schedule.latest_weekly_due(
        BERLIN, dt.time(7), 0, dt.datetime(2026, 3, 30, 5, tzinfo=UTC)
    )
    assert before == (dt.date(2026, 3, 23), dt.datetime(2026, 3, 23, 6, tzinfo=UTC))
    assert after == (dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 5, tzinfo=UTC))
    # A minute before Monday's due time the latest weekly is still last Monday's.
    early = dt.datetime(2026, 3, 30, 4, 59, tzinfo=UTC)
    assert schedule.latest_weekly_due(BERLIN, dt.time(7), 0, early)[0] == dt.date(2026, 3, 23)
    # A week across the change is 167 hours long, measured in UTC.
    start, end = schedule.window(
        after[1], before[1], schedule.WEEKLY_WINDOW, schedule.WEEKLY_MAX_WINDOW
    )
    assert end - start == dt.timedelta(hours=167)


def test_it_plans_a_weekly_on_the_local_monday_while_utc_is_still_sunday() -> None:
    topic = make_topic("Valdorian politics")
    auckland = weekly_reader("kiri@example.com", [topic], zone="Pacific/Auckland", day=0)
    weekly_reader("ann@example.com", [topic], zone="UTC", day=0)
    # Sunday 7 June 2026 19:00 UTC is Monday 8 June 07:00 in Auckland (NZST, UTC+12).
    now = dt.datetime(2026, 6, 7, 19, 1, tzinfo=UTC)
    assert plan_due(now) == 1
    row = DigestDelivery.objects.get()
    assert (row.reader, row.kind, row.local_date) == (auckland, Kind.WEEKLY, dt.date(2026, 6, 8))
    assert row.due_at == dt.datetime(2026, 6, 7, 19, tzinfo=UTC)
    assert row.window_end - row.window_start == dt.timedelta(days=7)
    assert plan_due(now + HOUR) == 0  # once per week


def test_it_sends_weekly_windows_back_to_back_across_a_dst_change(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    topic = make_topic("Valdorian politics")
    reader = weekly_reader("ann@example.com", [topic], zone="Europe/Berlin", day=0)
    first_due = dt.datetime(2026, 3, 23, 6, tzinfo=UTC)  # Monday 07:00 CET
    second_due = dt.datetime(2026, 3, 30, 5, tzinfo=UTC)  # Monday 07:00 CEST
    make_article([topic], "Budget passes after long night", first_due - 30 * HOUR)
    make_article([topic], "Minister resigns over harbour deal", second_due - 2 * HOUR)
    # Late Sunday local time: in the second week's window, not the first's.
    make_article([topic], "Storm closes the northern rail line", second_due - 7 * HOUR)
    run_once(first_due + dt.timedelta(minutes=1))
    run_once(second_due + dt.timedelta(minutes=1))
    first, second = DigestDelivery.objects.filter(reader=reader).order_by("due_at")
    assert (first.status, second.status) == (Status.SENT, Status.SENT)
    assert second.window_start == first.window_end == first_due
    assert second.window_end - second.window_start == dt.timedelta(hours=167)
    subjects = [m["Subject"] for m in sink.messages]
    assert subjects == [
        "Your Newsdesk week: 1 story on Valdorian politics",
        "Your Newsdesk week: 2 stories on Valdorian politics",
    ]
    assert "Budget passes" not in str(sink.messages[1])  # never twice


def test_it_keeps_the_most_covered_stories_of_the_week() -> None:
    topic = make_topic("Valdorian politics")
    weekly_reader("ann@example.com", [topic], day=0)
    due = dt.datetime(2026, 6, 8, 7, tzinfo=UTC)  # a Monday
    outlets = [make_outlet(f"Outlet {i}") for i in range(4)]
    # Story n is covered by n outlets (the same headline at each).
    headlines = {
        4: "Harbour strike ends after nine days",
        3: "Parliament passes the budget",
        2: "Central bank holds rates",
        1: "Drought cuts the wheat harvest",
    }
    for n, headline in headlines.items():
        for outlet in outlets[:n]:
            make_article([topic], headline, due - n * 20 * HOUR, outlet=outlet)
    for k in range(4):
        make_article([topic], f"Small item {k} on local {['bees', 'roads', 'parks', 'art'][k]}",
                     due - (k + 1) * HOUR)  # fmt: skip
    plan_due(due)
    row = DigestDelivery.objects.get()
    digest = compose_for_reader(row.reader_id, row.window_start, row.window_end, kind=Kind.WEEKLY)
    assert digest is not None
    (section,) = digest.sections
    titles = [item.story.title for item in section.items]
    assert titles[:3] == list(headlines.values())[:3]  # most outlets first
    # Then single-outlet stories by recency; the oldest of them falls below the top five.
    assert titles[3:] == ["Small item 0 on local bees", "Small item 1 on local roads"]
    assert section.more == 3 and "Drought cuts the wheat harvest" not in titles


def test_it_sends_the_weekly_only_with_weekly_follows_and_honours_a_day_change(
    smtp: tuple[Sink, int],
) -> None:
    sink, _ = smtp
    daily_topic, weekly_topic = make_topic("Daily things"), make_topic("Weekly things")
    reader = make_reader("ann@example.com", topics=[daily_topic])
    Follow.objects.create(reader=reader, topic=weekly_topic, daily=False, weekly=True)
    monday = dt.datetime(2026, 6, 8, 7, tzinfo=UTC)
    make_article([daily_topic], "Daily item", monday - 3 * HOUR)
    make_article([weekly_topic], "Weekly item", monday - 3 * HOUR)
    run_once(monday + dt.timedelta(minutes=1))
    by_subject = {m["Subject"]: m for m in sink.messages}
    assert set(by_subject) == {
        "Your Newsdesk digest: 1 story on Daily things",
        "Your Newsdesk week: 1 story on Weekly things",
    }
    # Planned for Monday, then the reader moves the weekly to Friday: not sent Monday.
    next_monday = monday + dt.timedelta(days=7)
    make_article([weekly_topic], "Another weekly item", next_monday - 3 * HOUR)
    plan_due(next_monday)
    reader.weekly_day = 4
    reader.save(update_fields=["weekly_day"])
    run_once(next_monday + dt.timedelta(minutes=1))
    row = DigestDelivery.objects.get(kind=Kind.WEEKLY, local_date=next_monday.date())
    assert row.status == Status.SKIPPED and "weekly day" in row.error
    assert all("week:" not in m["Subject"] for m in sink.messages[2:])
