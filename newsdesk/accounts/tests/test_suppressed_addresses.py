"""Account and follow emails never go to a suppressed address (digests/suppress.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from newsdesk.accounts import account_views, views
from newsdesk.accounts.models import Consent, Reader
from newsdesk.digests.models import Suppression
from newsdesk.digests.tests.helpers import make_reader, make_topic

pytestmark = pytest.mark.django_db
PASSWORD = "plum-harbour-lantern-42"
BLOCKED = "We can&#x27;t send email to this address"


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    cache.clear()  # the one-sign-up-email-per-address throttle lives in the cache
    yield
    cache.clear()


def block(email: str, reason: str) -> None:
    Suppression.objects.create(email=email, reason=reason, source="test")


def sign_up(email: str) -> Any:
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, "time_zone": "UTC"}
    return Client().post(reverse("accounts:signup"), data)


def follow(slug: str, email: str) -> Any:
    data = {"email": email, "daily": "on", "time_zone": "UTC"}
    return Client().post(reverse("accounts:follow", args=[slug]), data)


def reset(email: str) -> Any:
    return Client().post(reverse("accounts:password-reset"), {"email": email})


def test_sign_up_with_a_suppressed_address_is_refused_and_creates_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    block("gone@example.com", "hard_bounce")
    with caplog.at_level(logging.INFO, logger="newsdesk.accounts.forms"):
        response = sign_up("Gone@Example.com")
    assert response.status_code == 400
    page = response.content.decode()
    assert f"{BLOCKED}. If it is yours" in page and "contact the site&#x27;s operator" in page
    assert "does not exist" not in page  # the reason is shown to the owner only
    assert mail.outbox == [] and not User.objects.exists()
    assert "sign-up for suppressed address gone@example.com refused (hard_bounce)" in caplog.text


def test_sign_up_for_an_existing_account_at_a_suppressed_address_sends_nothing() -> None:
    User.objects.create_user("ann@example.com", "ann@example.com", PASSWORD)
    block("ann@example.com", "soft_bounces")
    response = sign_up("ann@example.com")
    assert BLOCKED in response.content.decode()
    assert "kept failing for days" not in response.content.decode()  # the reason is private
    assert mail.outbox == []  # not even the "you already have an account" note


def test_account_mail_is_not_sent_to_an_address_suppressed_after_the_form_was_checked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    block("ann@example.com", "complaint")
    with caplog.at_level(logging.INFO, logger="newsdesk.accounts.account_views"):
        account_views.send_account_email("accounts/email/signup", "ann@example.com", {})
    assert mail.outbox == []
    assert "no accounts/email/signup email to suppressed address" in caplog.text
    assert "(complaint)" in caplog.text


def test_password_reset_for_a_suppressed_address_looks_the_same_and_sends_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    User.objects.create_user("ann@example.com", "ann@example.com", PASSWORD)
    block("ann@example.com", "hard_bounce")
    with caplog.at_level(logging.INFO, logger="newsdesk.accounts.account_forms"):
        suppressed = reset("ann@example.com")
    unknown = reset("nobody@example.com")
    done = reverse("accounts:password-reset-done")
    assert suppressed["Location"] == unknown["Location"] == done
    assert mail.outbox == []
    assert "no password reset email to suppressed address ann@example.com" in caplog.text
    # Lifting the suppression lets the reset mail go out again.
    Suppression.objects.all().delete()
    reset("ann@example.com")
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_a_follow_request_for_a_suppressed_address_is_refused_and_stores_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = make_topic("Valdorian politics")
    block("slow@example.com", "soft_bounces")
    with caplog.at_level(logging.INFO, logger="newsdesk.accounts.forms"):
        response = follow(topic.slug, "Slow@Example.com")
    page = response.content.decode()
    assert f"{BLOCKED}. If it is yours" in page
    assert "kept failing" not in page  # a stranger may type anyone's address
    assert 'role="alert"' in page  # shown with the email field, not a crash page
    assert not Reader.objects.exists() and not Consent.objects.exists()
    assert mail.outbox == []
    assert "follow request for suppressed address slow@example.com refused" in caplog.text


def test_a_follow_confirmation_is_not_sent_once_the_address_is_suppressed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = make_topic("Valdorian politics")
    reader = make_reader("ann@example.com", confirmed=False)
    consent = Consent.objects.create(reader=reader, topic=topic, text_shown="...")
    block("ann@example.com", "manual")
    with caplog.at_level(logging.INFO, logger="newsdesk.accounts.views"):
        views.send_confirmation(consent)
    assert mail.outbox == []
    assert f"no confirmation to suppressed address for consent {consent.pk} (manual)" in (
        caplog.text
    )


def test_a_complaint_is_never_mailed_again_by_sign_up_reset_or_follow() -> None:
    topic = make_topic("Valdorian politics")
    User.objects.create_user("annoyed@example.com", "annoyed@example.com", PASSWORD)
    make_reader("annoyed@example.com", topics=[topic])
    block("annoyed@example.com", "complaint")
    signup_page = sign_up("annoyed@example.com").content.decode()
    follow_page = follow(topic.slug, "annoyed@example.com").content.decode()
    reset("annoyed@example.com")
    assert mail.outbox == []
    for page in (signup_page, follow_page):
        assert BLOCKED in page
        assert "spam" not in page  # who complained is nobody else's business


def test_addresses_that_are_not_suppressed_still_get_their_mail() -> None:
    topic = make_topic("Valdorian politics")
    block("someone.else@example.com", "complaint")
    assert sign_up("new@example.com")["Location"] == reverse("accounts:signup-sent")
    assert follow(topic.slug, "visitor@example.com")["Location"] == reverse(
        "accounts:follow-sent", args=[topic.slug]
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["new@example.com", "visitor@example.com"]
