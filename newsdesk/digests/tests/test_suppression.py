"""Bounces and complaints: the webhook, SMTP refusals at send time, and what suppression stops."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.models import Reader
from newsdesk.digests import alerts
from newsdesk.digests.management.commands.senddigests import run_once
from newsdesk.digests.models import AlertDelivery, DigestDelivery, EmailEvent, Suppression
from newsdesk.digests.suppress import Kind
from newsdesk.digests.tests.helpers import Sink, make_article, make_reader, make_topic
from newsdesk.digests.webhooks import anymail_tracking
from newsdesk.topics.models import Follow

pytestmark = pytest.mark.django_db
UTC = dt.UTC
DUE = dt.datetime(2026, 6, 2, 7, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)
SECRET = "s3cret-webhook-token"
Status = DigestDelivery.Status


@pytest.fixture
def webhook(settings: Any) -> Any:
    settings.NEWSDESK_EMAIL_WEBHOOK_SECRET = SECRET

    def post(payload: Any, token: str | None = SECRET, **headers: str) -> Any:
        url = reverse("digests:email-events")
        if token is not None:
            url += f"?token={token}"
        return Client(enforce_csrf_checks=True).post(
            url, json.dumps(payload), content_type="application/json", headers=headers
        )

    return post


@pytest.fixture
def politics() -> Any:
    topic = make_topic("Valdorian politics")
    make_article([topic], "Parliament passes the budget", DUE - 2 * dt.timedelta(hours=1))
    return topic


def suppressed() -> dict[str, str]:
    return dict(Suppression.objects.values_list("email", "reason"))


def test_it_answers_404_while_no_secret_is_set(settings: Any) -> None:
    settings.NEWSDESK_EMAIL_WEBHOOK_SECRET = ""
    response = Client().post(reverse("digests:email-events"), "{}", "application/json")
    assert response.status_code == 404


def test_it_refuses_a_missing_or_wrong_secret(webhook: Any) -> None:
    event = {"type": "bounce", "email": "ann@example.com"}
    assert webhook(event, token=None).status_code == 403
    assert webhook(event, token="guess").status_code == 403
    assert webhook(event, token=None, X_Newsdesk_Webhook_Secret="guess").status_code == 403
    assert suppressed() == {} and not EmailEvent.objects.exists()


def test_it_suppresses_hard_bounces_and_complaints_and_logs_soft_ones(webhook: Any) -> None:
    events = {
        "events": [
            {"type": "bounce", "email": "Gone@Example.com", "status": "5.1.1",
             "diagnostic": "550 5.1.1 user unknown", "message_id": "<d.1@newsdesk.localhost>"},
            {"type": "complaint", "email": "angry@example.com"},
            {"type": "bounce", "email": "full@example.com", "status": "4.2.2"},
            {"type": "deferred", "email": "slow@example.com"},
            {"type": "opened", "email": "reader@example.com"},
            "not an event",
        ]
    }  # fmt: skip
    response = webhook(events)
    assert response.status_code == 200
    assert response.json() == {"accepted": 4, "ignored": 2}
    assert suppressed() == {"gone@example.com": "hard_bounce", "angry@example.com": "complaint"}
    kinds = dict(EmailEvent.objects.values_list("email", "kind"))
    assert kinds["full@example.com"] == kinds["slow@example.com"] == Kind.SOFT_BOUNCE
    assert EmailEvent.objects.get(email="gone@example.com").message_id == "<d.1@newsdesk.localhost>"


def test_it_drops_reports_for_non_addresses_and_strips_nul_from_their_texts(
    webhook: Any,
) -> None:
    too_long = "x" * 300 + "@example.com"  # longer than any address column (254)
    events = [
        {"type": "bounce", "email": too_long},
        {"event_type": "bounced", "recipient": too_long},
        {"type": "bounce", "email": "a\u0000b@example.com"},
        {"type": "bounce", "email": "gone@example.com", "status": "5.1.1\u0000",
         "diagnostic": "550 user\u0000 unknown", "message_id": "<m\u0000@x>"},
    ]  # fmt: skip
    response = webhook(events)
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "ignored": 3}
    assert suppressed() == {"gone@example.com": "hard_bounce"}
    event = EmailEvent.objects.get()
    assert (event.status, event.diagnostic, event.message_id) == (
        "5.1.1",
        "550 user unknown",
        "<m@x>",
    )


def test_it_takes_the_secret_in_a_header_and_anymail_shaped_events(webhook: Any) -> None:
    events = [
        {"event_type": "bounced", "recipient": "a@example.com", "mta_response": "550 5.1.1 no"},
        {"event_type": "rejected", "reject_reason": "spam", "recipient": "b@example.com"},
        {"event_type": "bounced", "recipient": "c@example.com", "mta_response": "421 4.7.0 later"},
        {"event_type": "clicked", "recipient": "d@example.com"},
    ]
    response = webhook(events, token=None, Authorization=f"Bearer {SECRET}")
    assert response.status_code == 200 and response.json()["accepted"] == 3
    assert suppressed() == {"a@example.com": "hard_bounce", "b@example.com": "complaint"}
    for body in ("{not json", "[" * 100_000 + "]" * 100_000):  # the second: too deep
        bad = Client().post(
            reverse("digests:email-events") + f"?token={SECRET}", body, "application/json"
        )
        assert bad.status_code == 400 and bad.json() == {"error": "the body is not JSON"}


def test_it_listens_to_anymail_tracking_events() -> None:
    # The shape of anymail.signals.AnymailTrackingEvent, without requiring anymail.
    event = SimpleNamespace(
        event_type="complained", recipient="c@example.com", reject_reason=None,
        mta_response=None, description="", message_id="<m@x>",
    )  # fmt: skip
    anymail_tracking(sender=object(), event=event, esp_name="Postmark")
    row = Suppression.objects.get()
    assert (row.email, row.reason, row.source) == ("c@example.com", "complaint", "anymail:Postmark")


def test_suppressed_readers_get_no_digest_alert_or_confirmation(
    smtp: tuple[Sink, int], politics: Any
) -> None:
    sink, _ = smtp
    gone = make_reader("gone@example.com", topics=[politics])
    Follow.objects.filter(reader=gone).update(instant=True)
    make_reader("ann@example.com", topics=[politics])
    Suppression.objects.create(email="GONE@example.com", reason="hard_bounce", source="dsn")
    run_once(DUE + MINUTE)
    assert [m["To"] for m in sink.messages] == ["Ann <ann@example.com>"]
    row = DigestDelivery.objects.get(reader=gone)
    assert row.status == Status.SKIPPED and row.error == "Suppressed address: Permanent bounce."
    # Instant alerts: recorded as skipped with the reason, not sent.
    make_article([politics], "Minister resigns", DUE + 2 * MINUTE)
    while alerts.step(DUE + 3 * MINUTE):
        pass
    assert AlertDelivery.objects.get(reader=gone).status == AlertDelivery.Status.SKIPPED
    # A follow request for a suppressed address sends nothing either; the form says why.
    response = Client().post(
        reverse("accounts:follow", args=[politics.slug]),
        {"email": "gone@example.com", "daily": "on", "time_zone": "UTC"},
    )
    assert b"We can&#x27;t send email to this address" in response.content
    assert len(sink.messages) == 1


def test_it_suppresses_an_address_refused_with_5xx_at_send_time(
    smtp: tuple[Sink, int], politics: Any
) -> None:
    sink, _ = smtp
    sink.reject["gone@example.com"] = "550 5.1.1 <gone@example.com>: Recipient address rejected"
    gone = make_reader("gone@example.com", topics=[politics])
    make_reader("ann@example.com", topics=[politics])
    run_once(DUE + MINUTE)
    assert len(sink.messages) == 1  # the rest of the batch went out
    row = DigestDelivery.objects.get(reader=gone)
    assert row.status == Status.SKIPPED and "550" in row.error
    assert suppressed() == {"gone@example.com": "hard_bounce"}
    assert EmailEvent.objects.get().source == "smtp"
    # Tomorrow it is not even tried.
    run_once(DUE + dt.timedelta(days=1, minutes=1))
    assert DigestDelivery.objects.get(reader=gone, local_date=dt.date(2026, 6, 3)).error == (
        "Suppressed address: Permanent bounce."
    )


def test_it_retries_an_address_refused_with_4xx_without_suppressing(
    smtp: tuple[Sink, int], politics: Any
) -> None:
    sink, _ = smtp
    sink.refuse.add("busy@example.com")  # 451 4.3.0
    busy = make_reader("busy@example.com", topics=[politics])
    run_once(DUE + MINUTE)
    row = DigestDelivery.objects.get(reader=busy)
    assert row.status == Status.FAILED and "451" in row.error
    assert suppressed() == {}
    assert EmailEvent.objects.get().kind == Kind.SOFT_BOUNCE
    sink.refuse.clear()
    run_once(DUE + 3 * MINUTE)  # after the backoff
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2 and len(sink.messages) == 1


def test_it_suppresses_an_alert_address_refused_with_5xx(
    smtp: tuple[Sink, int], politics: Any
) -> None:
    sink, _ = smtp
    sink.reject["gone@example.com"] = "554 5.7.1 <gone@example.com>: Relay access denied"
    reader = make_reader("gone@example.com", topics=[])
    Follow.objects.create(reader=reader, topic=politics, instant=True, created=DUE - MINUTE)
    make_article([politics], "Minister resigns", DUE)
    while alerts.step(DUE + MINUTE):
        pass
    assert AlertDelivery.objects.get().status == AlertDelivery.Status.SKIPPED
    assert suppressed() == {"gone@example.com": "hard_bounce"}


def test_staff_see_suppressed_readers_in_the_admin(politics: Any) -> None:
    make_reader("gone@example.com", topics=[politics])
    make_reader("ann@example.com", topics=[politics])
    Suppression.objects.create(email="gone@example.com", reason="complaint", source="arf")
    staff = User.objects.create_superuser("editor", "editor@example.com", "pw")
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_reader_changelist") + "?suppressed=yes")
    assert page.status_code == 200
    assert b"gone@example.com" in page.content and b"ann@example.com" not in page.content
    gone = Reader.objects.get(email="gone@example.com")
    detail = client.get(reverse("admin:accounts_reader_change", args=[gone.pk]))
    assert b"Suppressed address: Spam complaint." in detail.content
    listing = client.get(reverse("admin:digests_suppression_changelist"))
    assert b"gone@example.com" in listing.content
