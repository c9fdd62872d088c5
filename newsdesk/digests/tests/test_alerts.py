from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsdesk.digests import alerts
from newsdesk.digests.models import AlertDelivery
from newsdesk.digests.tests.helpers import Sink, make_article, make_outlet, make_reader, make_topic
from newsdesk.topics.models import Follow, Topic, TopicArticle

pytestmark = pytest.mark.django_db
UTC = dt.UTC
T = dt.datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)
Status = AlertDelivery.Status


@pytest.fixture
def topic() -> Topic:
    return make_topic("Valdorian politics")


def instant_reader(topic: Topic, email: str = "ann@example.com", daily: bool = False) -> Any:
    reader = make_reader(email, topics=[])
    Follow.objects.create(
        reader=reader, topic=topic, daily=daily, instant=True, created=T - dt.timedelta(days=1)
    )
    return reader


def run_until_idle(now: dt.datetime) -> int:
    steps = 0
    while alerts.step(now):
        steps += 1
        assert steps < 100
    return steps


def test_it_alerts_within_a_minute_of_a_match(smtp: tuple[Sink, int], topic: Topic) -> None:
    sink, _ = smtp
    reader = instant_reader(topic)
    make_reader("bob@example.com", topics=[topic])  # daily only: no alert
    article = make_article(
        [topic], "Parliament passes the budget", T, snippet="It passed 61-40 after a long night."
    )
    run_until_idle(T + 30 * dt.timedelta(seconds=1))
    (message,) = sink.messages
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    assert message["Subject"] == "Valdorian politics: Parliament passes the budget"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "It passed 61-40" in body.get_content()
    assert "/subscription/" in body.get_content()  # the manage link
    assert "published 09:00 UTC" in body.get_content()  # in the reader's zone (UTC here)
    row = AlertDelivery.objects.get()
    assert (row.reader, row.article, row.status) == (reader, article, Status.SENT)
    assert message["Message-ID"] == row.message_id
    assert not alerts.step(T + 2 * MINUTE)  # nothing more to do
    assert len(sink.messages) == 1


def test_it_never_alerts_twice_for_one_story_across_outlets(
    smtp: tuple[Sink, int], topic: Topic
) -> None:
    sink, _ = smtp
    instant_reader(topic)
    herald, courier, post = (make_outlet(n) for n in ("Herald", "Courier", "Post"))
    first = make_article([topic], "Harbour strike ends after nine days", T, outlet=herald)
    run_until_idle(T + MINUTE)
    # The wire copy (duplicate_of) and a rewrite with a near-identical headline elsewhere.
    make_article([topic], "Harbour strike ends after 9 days", T + 5 * MINUTE, outlet=courier,
                 duplicate_of=first)  # fmt: skip
    make_article([topic], "Harbour strike ends after nine days!", T + 6 * MINUTE, outlet=post)
    run_until_idle(T + 7 * MINUTE)
    assert len(sink.messages) == 1
    assert AlertDelivery.objects.count() == 1
    # A different story on the same topic still alerts.
    make_article([topic], "Central bank holds rates", T + 8 * MINUTE, outlet=courier)
    run_until_idle(T + 9 * MINUTE)
    assert [m["Subject"] for m in sink.messages][
        1
    ] == "Valdorian politics: Central bank holds rates"


def test_it_sends_one_alert_when_both_copies_arrive_in_one_step(
    smtp: tuple[Sink, int], topic: Topic
) -> None:
    sink, _ = smtp
    other = make_topic("Ports")
    reader = instant_reader(topic)
    Follow.objects.create(reader=reader, topic=other, instant=True, created=T - MINUTE)
    first = make_article([topic, other], "Harbour strike ends after nine days", T)
    make_article([other], "Harbour strike ends", T, outlet=make_outlet("Post"), duplicate_of=first)
    run_until_idle(T + MINUTE)
    assert len(sink.messages) == 1


def test_it_limits_alerts_per_hour_and_rolls_up_the_rest_when_the_hour_frees(
    smtp: tuple[Sink, int], topic: Topic, settings: Any
) -> None:
    sink, _ = smtp
    settings.NEWSDESK_ALERTS_PER_HOUR = 2
    instant_reader(topic)  # instant only: no digest would carry the held-back story
    headlines = ["Budget passes", "Minister resigns", "Rail line closes", "Bank holds rates"]
    for i, headline in enumerate(headlines[:3]):
        make_article([topic], headline, T + i * MINUTE)
    run_until_idle(T + 3 * MINUTE)
    assert len(sink.messages) == 2
    statuses = dict(AlertDelivery.objects.values_list("title", "status"))
    assert statuses == {
        "Budget passes": Status.SENT,
        "Minister resigns": Status.SENT,
        "Rail line closes": Status.DEFERRED,
    }
    # An hour after the first two were planned the limit has room again: the new story
    # alerts at once, and the held-back one follows in a roll-up.
    make_article([topic], headlines[3], T + 64 * MINUTE)
    run_until_idle(T + 65 * MINUTE)
    assert [m["Subject"] for m in sink.messages] == [
        "Valdorian politics: Budget passes",
        "Valdorian politics: Minister resigns",
        "Valdorian politics: Bank holds rates",
        "1 more story on Valdorian politics while we held back",
    ]


def test_it_does_not_alert_for_old_matches_or_non_instant_follows(
    smtp: tuple[Sink, int], topic: Topic
) -> None:
    sink, _ = smtp
    reader = make_reader("ann@example.com", topics=[])
    # Followed after the article matched: that match is not news to them.
    make_article([topic], "Matched before the follow", T)
    Follow.objects.create(reader=reader, topic=topic, instant=True, created=T + MINUTE)
    # Published two days ago, matched only now (a new topic's backfill): not news either.
    old = make_article([], "An old story", T - dt.timedelta(days=2))
    TopicArticle.objects.create(topic=topic, article=old, matched_at=T + 2 * MINUTE)
    run_until_idle(T + 3 * MINUTE)
    assert sink.messages == [] and not AlertDelivery.objects.exists()


def test_it_retries_a_failed_alert_and_holds_back_one_too_late(
    smtp: tuple[Sink, int], topic: Topic
) -> None:
    sink, _ = smtp
    sink.refuse.add("ann@example.com")  # 451: try again later
    instant_reader(topic)
    make_article([topic], "Budget passes", T)
    run_until_idle(T + MINUTE)
    row = AlertDelivery.objects.get()
    assert row.status == Status.FAILED and "451" in row.error
    sink.refuse.clear()
    run_until_idle(T + 3 * MINUTE)  # past the one-minute backoff
    row.refresh_from_db()
    assert row.status == Status.SENT and len(sink.messages) == 1

    make_article([topic], "Rail line closes", T + 4 * MINUTE)
    alerts.plan_alerts(T + 4 * MINUTE)
    assert alerts.send_alert(T + 40 * MINUTE)  # the sender was down for half an hour
    late = AlertDelivery.objects.get(title="Rail line closes")
    # No longer instant: held back for a roll-up (test_rollup.py follows it there).
    assert late.status == Status.DEFERRED
    assert late.error == "Too late for an instant alert: waiting for a roll-up."
    assert len(sink.messages) == 1


def test_it_recognises_a_copy_of_a_story_alerted_days_ago(
    smtp: tuple[Sink, int], topic: Topic
) -> None:
    sink, _ = smtp
    instant_reader(topic)
    first = make_article([topic], "Harbour strike ends after nine days", T)
    run_until_idle(T + MINUTE)
    later = T + dt.timedelta(days=5)
    make_article([topic], "Strike over at the harbour", later, duplicate_of=first)
    assert run_until_idle(later + MINUTE) == 0  # no work: not even a refused insert
    assert len(sink.messages) == 1 and AlertDelivery.objects.count() == 1


def test_the_command_plans_and_sends_until_idle(smtp: tuple[Sink, int], topic: Topic) -> None:
    sink, _ = smtp
    reader = instant_reader(topic)
    Follow.objects.filter(reader=reader).update(created=timezone.now() - dt.timedelta(hours=1))
    article = make_article([topic], "Budget passes", timezone.now() - MINUTE)
    TopicArticle.objects.filter(article=article).update(matched_at=timezone.now())
    out = io.StringIO()
    call_command("sendalerts", stdout=out)
    assert len(sink.messages) == 1 and "sendalerts: " in out.getvalue()


def test_an_alert_gives_the_publication_time_in_the_readers_zone(
    smtp: tuple[Sink, int], topic: Topic
) -> None:
    sink, _ = smtp
    reader = instant_reader(topic)
    reader.time_zone = "Asia/Tokyo"
    reader.save(update_fields=["time_zone"])
    make_article([topic], "Parliament passes the budget", T)
    run_until_idle(T + MINUTE)
    (message,) = sink.messages
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "published 18:00 JST" in text.get_content()
    assert "Published 18:00 JST" in html.get_content()
