"""Stories held back by the hourly alert limit reach the reader: in a digest, or one roll-up."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from newsdesk.accounts.models import Reader
from newsdesk.digests import alerts, plan, send
from newsdesk.digests.alert_mail import local_time
from newsdesk.digests.models import AlertDelivery, Suppression
from newsdesk.digests.send import SendContext
from newsdesk.digests.tests.helpers import (
    Sink,
    make_article,
    make_outlet,
    make_reader,
    make_topic,
    parts,
    race,
)
from newsdesk.topics.models import Follow, Topic, TopicArticle

pytestmark = pytest.mark.django_db
UTC = dt.UTC
T = dt.datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # 11:00 in Paris (CEST)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
Status = AlertDelivery.Status


def follow(reader: Reader, topic: Topic, daily: bool = False) -> None:
    Follow.objects.create(
        reader=reader, topic=topic, daily=daily, instant=True, created=T - dt.timedelta(days=1)
    )


def run_until_idle(now: dt.datetime) -> None:
    for _ in range(100):
        if not alerts.step(now):
            return
    raise AssertionError("alerts.step never ran out of work")


def statuses() -> dict[str, str]:
    return dict(AlertDelivery.objects.values_list("title", "status"))


def is_rollup(message: EmailMessage) -> bool:
    return "while we held back" in str(message["Subject"])


@pytest.fixture
def limit_two(settings: Any) -> None:
    settings.NEWSDESK_ALERTS_PER_HOUR = 2


def test_an_instant_only_follower_gets_one_rollup_of_every_held_back_story(
    smtp: tuple[Sink, int], limit_two: None
) -> None:
    sink, _ = smtp
    russia, trade = make_topic("Russian politics"), make_topic("EU trade")
    reader = make_reader("ann@example.com", zone="Europe/Paris", topics=[])
    follow(reader, russia)
    follow(reader, trade)
    herald, post = make_outlet("Herald"), make_outlet("Post")
    make_article([russia], "Duma sits late", T)
    make_article([russia], "Governor dismissed", T + MINUTE)
    held_back = {
        "Kremlin reshuffles cabinet": (russia, T + 2 * MINUTE),
        "Opposition rally banned": (russia, T + 3 * MINUTE),
        "Tariff talks resume in Brussels": (trade, T + 4 * MINUTE),
        "Steel quota extended to 2027": (trade, T + 5 * MINUTE),
        "Grain corridor deal signed": (russia, T + 6 * MINUTE),
    }
    firsts = {}
    for title, (topic, at) in held_back.items():
        snippet = f"The {title.split()[0].lower()} story in full."
        firsts[title] = make_article([topic], title, at, outlet=herald, snippet=snippet)
    # A wire copy of a held-back story is the same story: not a sixth one.
    make_article([trade], "Steel quota extended to 2027", T + 7 * MINUTE, outlet=post,
                 duplicate_of=firsts["Steel quota extended to 2027"])  # fmt: skip
    start = T + 8 * MINUTE
    run_until_idle(start)
    assert [m["Subject"] for m in sink.messages] == [
        "Russian politics: Duma sits late",
        "Russian politics: Governor dismissed",
    ]
    assert set(statuses().values()) == {Status.SENT, Status.DEFERRED}
    run_until_idle(start + 59 * MINUTE)  # the hour is still full
    assert len(sink.messages) == 2

    run_until_idle(start + HOUR + MINUTE)
    assert len(sink.messages) == 3
    rollup = sink.messages[2]
    assert rollup["Subject"] == "5 more stories on Russian politics and EU trade while we held back"
    text, html = parts(rollup)
    for title, article in firsts.items():
        assert text.count(title) == 1 and html.count(title) == 1
        assert f"/articles/{article.pk}/" in text
        assert article.url in text
    assert "The kremlin story in full." in text and "The tariff story in full." in html
    assert text.index("== Russian politics ==") < text.index("Kremlin reshuffles cabinet")
    assert text.index("== EU trade ==") < text.index("Tariff talks resume in Brussels")
    assert "Published 11:02 CEST" in text  # the reader's zone, not UTC
    assert "/subscription/" in text and "/subscription/" in html  # manage link
    assert rollup["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in rollup["List-Unsubscribe"]
    assert "mailto:" in rollup["List-Unsubscribe"]
    assert rollup["List-Id"].startswith("Newsdesk digest <digest.")
    rows = AlertDelivery.objects.filter(title__in=held_back)
    assert {r.status for r in rows} == {Status.SENT}
    assert {r.message_id for r in rows} == {rollup["Message-ID"]}
    assert len({r.claimed_by for r in rows}) == 1

    # The roll-up counted as one email: a new story still gets its own alert this hour,
    # and the one after that is held back again (two emails in the hour).
    make_article([trade], "Customs union vote", start + HOUR + 2 * MINUTE)
    make_article([trade], "Ports strike over tariffs", start + HOUR + 3 * MINUTE)
    run_until_idle(start + HOUR + 4 * MINUTE)
    assert [m["Subject"] for m in sink.messages[3:]] == ["EU trade: Customs union vote"]
    assert statuses()["Ports strike over tariffs"] == Status.DEFERRED


def test_a_daily_followers_held_back_story_is_left_to_the_digest_and_appears_in_it(
    smtp: tuple[Sink, int], settings: Any
) -> None:
    sink, _ = smtp
    settings.NEWSDESK_ALERTS_PER_HOUR = 1
    politics, ports = make_topic("Valdorian politics"), make_topic("Ports")
    reader = make_reader("ann@example.com", topics=[])  # digest at 07:00 UTC
    follow(reader, politics, daily=True)
    follow(reader, ports)  # instant only: no digest carries it
    make_article([politics], "Budget passes", T)
    make_article([politics], "Minister resigns", T + MINUTE, snippet="She quit at noon.")
    make_article([ports], "Harbour strike ends", T + 2 * MINUTE)
    run_until_idle(T + 3 * MINUTE)
    assert statuses() == {
        "Budget passes": Status.SENT,
        "Minister resigns": Status.FOR_DIGEST,
        "Harbour strike ends": Status.DEFERRED,
    }
    left = AlertDelivery.objects.get(title="Minister resigns")
    assert "left for the daily digest of 2026-06-03" in left.error

    run_until_idle(T + 2 * HOUR)  # the hour has room: only the ports story is rolled up
    (rollup,) = [m for m in sink.messages if is_rollup(m)]
    assert rollup["Subject"] == "1 more story on Ports while we held back"
    assert "Minister resigns" not in parts(rollup)[0]

    # The next morning, the real planner and sender build the digest.
    morning = dt.datetime(2026, 6, 3, 7, 1, tzinfo=UTC)
    assert plan.plan_due(morning) == 1
    while send.send_batch(morning):
        pass
    (digest,) = [m for m in sink.messages if "digest" in str(m["Subject"])]
    text, _ = parts(digest)
    assert "Minister resigns" in text and "She quit at noon." in text
    run_until_idle(morning + 15 * MINUTE)  # the check after the digest went out
    left.refresh_from_db()
    assert (left.status, left.check_at) == (Status.FOR_DIGEST, None)
    assert left.error == "In the daily digest of 2026-06-03."
    assert len(sink.messages) == 3  # budget alert, roll-up, digest: nothing else


def test_a_story_the_digest_cuts_goes_out_in_a_rollup_after_it(
    smtp: tuple[Sink, int], settings: Any
) -> None:
    sink, _ = smtp
    settings.NEWSDESK_ALERTS_PER_HOUR = 1
    politics = make_topic("Valdorian politics")
    reader = make_reader("ann@example.com", topics=[])
    follow(reader, politics, daily=True)
    make_article([politics], "Budget passes", T)
    make_article([politics], "Minister resigns", T + MINUTE)
    run_until_idle(T + 2 * MINUTE)
    assert statuses()["Minister resigns"] == Status.FOR_DIGEST
    # Ten better-covered stories fill the digest's ten places for this topic.
    for i in range(10):
        first = make_article([], f"Covered story number {i} of many", T - HOUR + i * MINUTE)
        copy = make_article([], f"Wire: covered story {i}", T - HOUR, outlet=make_outlet("Post"),
                            duplicate_of=first)  # fmt: skip
        for article in (first, copy):
            TopicArticle.objects.create(
                topic=politics, article=article, matched_at=T - HOUR + i * MINUTE
            )
    morning = dt.datetime(2026, 6, 3, 7, 1, tzinfo=UTC)
    plan.plan_due(morning)
    while send.send_batch(morning):
        pass
    (digest,) = sink.messages[1:]
    assert "Minister resigns" not in parts(digest)[0]
    run_until_idle(morning + 15 * MINUTE)
    (rollup,) = sink.messages[2:]
    assert rollup["Subject"] == "1 more story on Valdorian politics while we held back"
    assert "Minister resigns" in parts(rollup)[0]
    row = AlertDelivery.objects.get(title="Minister resigns")
    assert row.status == Status.SENT and row.message_id == rollup["Message-ID"]


def test_held_back_stories_older_than_a_day_are_expired_not_sent(
    smtp: tuple[Sink, int], settings: Any
) -> None:
    sink, _ = smtp
    settings.NEWSDESK_ALERTS_PER_HOUR = 1
    topic = make_topic("Valdorian politics")
    follow(make_reader("ann@example.com", topics=[]), topic)
    make_article([topic], "Budget passes", T)
    make_article([topic], "Minister resigns", T + MINUTE)
    alerts.plan_alerts(T + 2 * MINUTE)
    assert alerts.send_alert(T + 2 * MINUTE)  # the single alert; the sender then stops
    # The sender was down for a day: the held-back story is no longer news.
    run_until_idle(T + dt.timedelta(hours=25))
    row = AlertDelivery.objects.get(title="Minister resigns")
    assert row.status == Status.EXPIRED and "no longer news" in row.error
    assert len(sink.messages) == 1


def test_suppressed_unsubscribed_and_paused_readers_get_no_rollup(
    smtp: tuple[Sink, int], settings: Any
) -> None:
    sink, _ = smtp
    settings.NEWSDESK_ALERTS_PER_HOUR = 1
    topic = make_topic("Valdorian politics")
    emails = ["gone@example.com", "left@example.com", "away@example.com"]
    for email in emails:
        follow(make_reader(email, topics=[]), topic)
    make_article([topic], "Budget passes", T)
    make_article([topic], "Minister resigns", T + MINUTE)
    run_until_idle(T + 2 * MINUTE)
    assert len(sink.messages) == 3
    assert AlertDelivery.objects.filter(status=Status.DEFERRED).count() == 3
    Suppression.objects.create(email="gone@example.com", reason="hard_bounce", source="dsn")
    Reader.objects.filter(email="left@example.com").update(unsubscribed_at=T + 5 * MINUTE)
    Reader.objects.filter(email="away@example.com").update(paused=True)
    run_until_idle(T + 2 * HOUR)
    assert len(sink.messages) == 3
    errors = dict(
        AlertDelivery.objects.filter(title="Minister resigns").values_list("reader__email", "error")
    )
    assert set(
        AlertDelivery.objects.filter(title="Minister resigns").values_list("status", flat=True)
    ) == {Status.SKIPPED}
    assert errors["gone@example.com"] == "Suppressed address: Permanent bounce."
    assert errors["left@example.com"] == "The reader no longer receives email."
    assert errors["away@example.com"] == "The reader no longer receives email."


def test_a_failed_rollup_is_retried_as_a_rollup_after_its_backoff(
    smtp: tuple[Sink, int], limit_two: None
) -> None:
    sink, _ = smtp
    topic = make_topic("Valdorian politics")
    follow(make_reader("ann@example.com", topics=[]), topic)
    for i, title in enumerate(["Budget passes", "Minister resigns", "Rail line closes"]):
        make_article([topic], title, T + i * MINUTE)
    make_article([topic], "Bank holds rates", T + 3 * MINUTE)
    run_until_idle(T + 4 * MINUTE)
    sink.refuse.add("ann@example.com")  # 451: try again later
    later = T + 4 * MINUTE + HOUR + MINUTE
    run_until_idle(later)
    rows = AlertDelivery.objects.filter(title__in=["Rail line closes", "Bank holds rates"])
    assert {r.status for r in rows} == {Status.FAILED}
    assert all("451" in r.error and r.claimed_by for r in rows)
    sink.refuse.clear()
    run_until_idle(later + 30 * dt.timedelta(seconds=1))  # inside the backoff
    assert len(sink.messages) == 2
    run_until_idle(later + 2 * MINUTE)
    (rollup,) = sink.messages[2:]
    assert rollup["Subject"] == "2 more stories on Valdorian politics while we held back"
    assert {r.status for r in rows.all()} == {Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_one_rollup(smtp: tuple[Sink, int], limit_two: None) -> None:
    if connection.vendor == "sqlite":
        # The in-memory test database refuses concurrent writers ("table is locked"); the
        # PostgreSQL run (--db-only) races threads for real, and test_rollup_processes.py
        # races two sendalerts processes on a SQLite file.
        pytest.skip("needs a database server: run with scripts/with_postgres.py")
    sink, _ = smtp
    topic = make_topic("Valdorian politics")
    follow(make_reader("ann@example.com", topics=[]), topic)
    titles = [f"Story number {i} of the day" for i in range(8)]
    for i, title in enumerate(titles):
        make_article([topic], title, T + i * MINUTE)
    run_until_idle(T + 10 * MINUTE)
    assert len(sink.messages) == 2
    now = T + 10 * MINUTE + HOUR + MINUTE

    def sender() -> None:
        while alerts.send_alert(now, SendContext()):
            pass

    race(sender)
    rollups = [m for m in sink.messages if is_rollup(m)]
    assert len(rollups) == 1
    assert rollups[0]["Subject"] == "6 more stories on Valdorian politics while we held back"
    text, _ = parts(rollups[0])
    assert all(text.count(title) == 1 for title in titles[2:])
    assert set(statuses().values()) == {Status.SENT}


def test_a_rollup_claimed_by_a_sender_that_died_is_never_sent(
    smtp: tuple[Sink, int], limit_two: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink, _ = smtp
    topic = make_topic("Valdorian politics")
    follow(make_reader("ann@example.com", topics=[]), topic)
    for i in range(4):
        make_article([topic], f"Story number {i} of the day", T + i * MINUTE)
    run_until_idle(T + 5 * MINUTE)
    now = T + 5 * MINUTE + HOUR + MINUTE

    class Died(BaseException):
        pass

    def die(name: str) -> None:
        if name == "rollup_after_claim":
            raise Died

    monkeypatch.setattr("newsdesk.digests.rollup._crash_point", die)
    with pytest.raises(Died):
        alerts.step(now)
    monkeypatch.undo()
    held = AlertDelivery.objects.exclude(status=Status.SENT)
    assert {r.status for r in held} == {Status.SENDING} and held.count() == 2
    run_until_idle(now + MINUTE)  # not yet reaped: still not claimable
    assert alerts.reap_alerts(now + 20 * MINUTE) == 2
    run_until_idle(now + 20 * MINUTE)
    run_until_idle(now + 3 * HOUR)
    assert {r.status for r in held.all()} == {Status.UNCONFIRMED}
    assert len(sink.messages) == 2 and not any(is_rollup(m) for m in sink.messages)


def test_the_rollup_shows_times_in_the_readers_zone_with_the_date_on_another_day() -> None:
    auckland = ZoneInfo("Pacific/Auckland")
    now = dt.datetime(2026, 6, 2, 11, 0, tzinfo=UTC)  # 23:00 NZST on 2 June
    assert local_time(now - HOUR, auckland, now) == "22:00 NZST"
    assert local_time(now - 12 * HOUR, auckland, now) == "11:00 NZST"
    assert local_time(now - 24 * HOUR, auckland, now) == "Mon 1 Jun 23:00 NZST"


@pytest.mark.django_db(transaction=True)
def test_rows_deferred_before_rollups_existed_stay_left_for_the_digest() -> None:
    executor = MigrationExecutor(connection)
    before = ("digests", "0004_suppression_soft_bounces")
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    topic = make_topic("Valdorian politics")
    reader = make_reader("ann@example.com", topics=[])
    article = make_article([topic], "Budget passes", T)
    old.get_model("digests", "AlertDelivery").objects.create(
        reader_id=reader.pk, article_id=article.pk, topic_id=topic.pk, story_key=article.pk,
        title="Budget passes", status="deferred",
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert AlertDelivery.objects.get().status == Status.FOR_DIGEST


def test_an_alert_the_sender_could_not_send_in_time_reaches_the_reader_once_later(
    smtp: tuple[Sink, int],
) -> None:
    sink, _ = smtp
    politics, ports = make_topic("Valdorian politics"), make_topic("Ports")
    reader = make_reader("ann@example.com", topics=[])
    follow(reader, politics, daily=True)
    follow(reader, ports)  # instant only
    make_article([politics], "Minister resigns", T)
    make_article([ports], "Harbour strike ends", T)
    assert alerts.plan_alerts(T + MINUTE) == 2  # planned; then the sender was down
    late = T + MINUTE + alerts.ALERT_MAX_LATE + MINUTE
    run_until_idle(late)
    # No longer instant: the daily follower's story waits for the digest, the instant-only
    # one goes out in a roll-up, and neither is dropped.
    assert statuses() == {"Minister resigns": Status.FOR_DIGEST, "Harbour strike ends": Status.SENT}
    assert AlertDelivery.objects.get(title="Minister resigns").error == (
        "Too late for an instant alert: left for the daily digest of 2026-06-03."
    )
    (rollup,) = sink.messages
    assert rollup["Subject"] == "1 more story on Ports while we held back"
    assert "Harbour strike ends" in parts(rollup)[0]


def test_a_late_alert_no_digest_or_rollup_can_carry_is_skipped_with_the_reason(
    smtp: tuple[Sink, int],
) -> None:
    sink, _ = smtp
    ports = make_topic("Ports")
    reader = make_reader("ann@example.com", topics=[])
    follow(reader, ports)
    make_article([ports], "Harbour strike ends", T)
    alerts.plan_alerts(T + MINUTE)
    Reader.objects.filter(pk=reader.pk).update(paused=True)
    run_until_idle(T + HOUR)
    row = AlertDelivery.objects.get()
    assert (row.status, row.error) == (Status.SKIPPED, "The reader no longer receives email.")
    assert sink.messages == []


def test_matches_of_a_long_sender_outage_are_planned_from_where_it_stopped(
    smtp: tuple[Sink, int],
) -> None:
    sink, _ = smtp
    ports = make_topic("Ports")
    reader = make_reader("ann@example.com", topics=[])
    follow(reader, ports)  # instant only: no digest would carry these
    assert alerts.plan_alerts(T) == 0  # the planner ran, then stopped for five hours
    make_article([ports], "Harbour strike ends", T + MINUTE)
    make_article([ports], "Cranes back at work", T + 2 * HOUR)
    back = T + 5 * HOUR
    assert alerts.plan_alerts(back) == 2  # both, though the first is past the usual 2 h
    assert {row.error for row in AlertDelivery.objects.all()} == {
        "Too late for an instant alert: waiting for a roll-up."
    }
    run_until_idle(back + MINUTE)
    (rollup,) = sink.messages  # late news comes once, together, not as two "instant" alerts
    assert rollup["Subject"] == "2 more stories on Ports while we held back"


def test_the_planner_looks_back_no_further_than_a_day(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    ports = make_topic("Ports")
    follow(make_reader("ann@example.com", topics=[]), ports)
    alerts.plan_alerts(T)
    make_article([ports], "Harbour strike ends", T + MINUTE)
    assert alerts.plan_alerts(T + 30 * HOUR) == 0  # down more than a day: no longer news
    assert sink.messages == []
