from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.digests.management.commands.senddigests import run_once
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.plan import plan_due
from newsdesk.digests.send import reap, send_one
from newsdesk.digests.tests.helpers import Sink, make_article, make_reader, make_topic, parts
from newsdesk.topics.models import Follow

pytestmark = pytest.mark.django_db
UTC = dt.UTC
Status = DigestDelivery.Status
DUE = dt.datetime(2026, 6, 2, 7, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def politics() -> Any:
    topic = make_topic("Valdorian politics")
    make_article(
        [topic], "Parliament passes the budget", DUE - 2 * HOUR, snippet="It passed 61-40."
    )
    return topic


def status(reader: Any) -> str:
    return str(DigestDelivery.objects.get(reader=reader).status)


def test_it_plans_once_and_only_for_readers_who_receive_email(politics: Any) -> None:
    ann = make_reader("ann@example.com", topics=[politics])
    make_reader("bob@example.com", topics=[])  # follows nothing
    make_reader("cy@example.com", topics=[politics], confirmed=False)
    make_reader("dee@example.com", topics=[politics], zone="America/New_York")  # not due yet
    assert plan_due(DUE + dt.timedelta(minutes=1)) == 1
    assert plan_due(DUE + dt.timedelta(minutes=2)) == 0
    row = DigestDelivery.objects.get()
    assert row.reader == ann and row.due_at == DUE and row.local_date == dt.date(2026, 6, 2)
    assert (row.window_start, row.window_end) == (DUE - 24 * HOUR, DUE)


def test_it_sends_a_digest_through_smtp(smtp: tuple[Sink, int], politics: Any) -> None:
    sink, _ = smtp
    reader = make_reader("ann@example.com", topics=[politics])
    assert run_once(DUE + dt.timedelta(minutes=1)) == 1
    (message,) = sink.messages
    assert message["Subject"] == "Your Newsdesk digest: 1 story on Valdorian politics"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert "Parliament passes the budget" in text and "It passed 61-40." in text
    assert "Parliament passes the budget" in html
    assert re.search(r'href="http[^"]+/articles/\d+/"', html)
    assert "https://news.example/" in html  # the source link
    row = DigestDelivery.objects.get(reader=reader)
    assert row.status == Status.SENT and row.article_count == 1 and row.attempts == 1
    assert message["Message-ID"] == row.message_id
    assert not send_one(DUE + dt.timedelta(minutes=2))  # nothing left


def test_it_sends_nothing_when_nothing_is_new(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    quiet = make_topic("Quiet topic")
    make_article([quiet], "Last week's news", DUE - 100 * HOUR)
    reader = make_reader(topics=[quiet])
    run_once(DUE)
    assert sink.messages == [] and status(reader) == Status.EMPTY


def test_it_retries_one_failed_message_and_sends_the_rest(
    smtp: tuple[Sink, int], politics: Any
) -> None:
    sink, _ = smtp
    readers = [make_reader(f"r{i}@example.com", topics=[politics]) for i in range(5)]
    sink.refuse.add("r2@example.com")
    run_once(DUE + dt.timedelta(minutes=1))
    assert sorted(m["To"] for m in sink.messages) == [
        f"Ann <r{i}@example.com>" for i in (0, 1, 3, 4)
    ]
    failed = DigestDelivery.objects.get(reader=readers[2])
    assert failed.status == Status.FAILED and "451" in failed.error
    # Backoff: not retried at once, but a few minutes later.
    sink.refuse.clear()
    assert not send_one(DUE + dt.timedelta(minutes=1, seconds=30))
    run_once(DUE + dt.timedelta(minutes=10))
    assert len(sink.to("r2@example.com")) == 1 and len(sink.messages) == 5
    assert status(readers[2]) == Status.SENT


def test_it_honours_an_unsubscribe_between_planning_and_sending(
    smtp: tuple[Sink, int], politics: Any
) -> None:
    sink, _ = smtp
    ann = make_reader("ann@example.com", topics=[politics])
    bob = make_reader("bob@example.com", topics=[politics])
    plan_due(DUE)
    ann.unsubscribed_at = timezone.now()
    ann.save()
    Follow.objects.filter(reader=bob).delete()
    run_once(DUE + dt.timedelta(minutes=1))
    assert sink.messages == []
    assert status(ann) == Status.SKIPPED and status(bob) == Status.SKIPPED


def test_it_honours_a_time_zone_change_between_planning_and_sending(
    smtp: tuple[Sink, int], politics: Any
) -> None:
    sink, _ = smtp
    ann = make_reader("ann@example.com", topics=[politics], zone="Europe/Berlin")
    berlin_due = dt.datetime(2026, 6, 2, 5, tzinfo=UTC)  # 07:00 CEST
    plan_due(berlin_due)
    ann.time_zone = "America/New_York"
    ann.save()
    run_once(berlin_due + dt.timedelta(minutes=1))
    assert sink.messages == []
    row = DigestDelivery.objects.get(reader=ann)
    new_york_due = dt.datetime(2026, 6, 2, 11, tzinfo=UTC)  # 07:00 EDT
    assert row.status == Status.PLANNED and row.due_at == new_york_due
    run_once(new_york_due)
    assert len(sink.messages) == 1 and status(ann) == Status.SENT
    assert DigestDelivery.objects.count() == 1


def test_it_skips_a_digest_that_is_too_late(smtp: tuple[Sink, int], politics: Any) -> None:
    sink, _ = smtp
    ann = make_reader(topics=[politics])
    plan_due(DUE)
    run_once(DUE + dt.timedelta(hours=5))  # NEWSDESK_DIGEST_MAX_LATE_HOURS is 4
    row = DigestDelivery.objects.get(reader=ann)
    assert sink.messages == [] and row.status == Status.SKIPPED
    assert "Too late: 5.0 h" in row.error


def test_it_reaps_a_dead_claim_as_unconfirmed_and_never_resends(politics: Any) -> None:
    ann = make_reader(topics=[politics])
    plan_due(DUE)
    DigestDelivery.objects.filter(reader=ann).update(
        status=Status.SENDING, claimed_at=DUE, attempts=1
    )
    assert reap(DUE + dt.timedelta(minutes=5)) == 0
    assert reap(DUE + dt.timedelta(minutes=16)) == 1
    assert status(ann) == Status.UNCONFIRMED
    assert not send_one(DUE + dt.timedelta(minutes=17))


def test_it_lets_only_one_sender_claim_a_row(politics: Any) -> None:
    ann = make_reader(topics=[politics])
    plan_due(DUE)
    row = DigestDelivery.objects.get(reader=ann)
    first = DigestDelivery.objects.filter(pk=row.pk, status=Status.PLANNED).update(
        status=Status.SENDING
    )
    second = DigestDelivery.objects.filter(pk=row.pk, status=Status.PLANNED).update(
        status=Status.SENDING
    )
    assert (first, second) == (1, 0)


def test_it_shows_a_sent_digest_in_the_browser(smtp: tuple[Sink, int], politics: Any) -> None:
    sink, _ = smtp
    make_reader(topics=[politics])
    run_once(DUE)
    text, _ = parts(sink.messages[0])
    view = re.search(r"View in your browser: (\S+)", text)
    assert view is not None
    response = Client().get(view.group(1).removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    assert b"Parliament passes the budget" in response.content
    assert Client().get("/digests/forged-token/").status_code == 404


def test_it_does_not_crash_the_batch_on_hostile_names(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    evil = make_topic("Evil\r\nBcc: victim@example.com", slug="evil")
    make_article([evil], "A story", DUE - HOUR)
    make_reader("a@example.com", name="Mallory\r\nBcc: x@example.com", topics=[evil])
    make_reader("b@example.com", topics=[evil])
    run_once(DUE)
    assert len(sink.messages) == 2
    assert all(m["Bcc"] is None for m in sink.messages)
    assert DigestDelivery.objects.filter(status=Status.SENT).count() == 2
