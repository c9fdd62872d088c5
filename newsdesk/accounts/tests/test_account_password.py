"""Password reset by email and password change, through Django's views and our templates."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "plum-harbour-lantern-42"
NEW_PASSWORD = "quince-meadow-ferry-81"


def test_it_resets_a_forgotten_password_by_email() -> None:
    user = User.objects.create_user("ann@example.com", "ann@example.com", PASSWORD)
    client = Client()
    form = client.get(reverse("accounts:password-reset"))
    assert b"Reset your password" in form.content
    sent = client.post(reverse("accounts:password-reset"), {"email": "ANN@example.com"})
    assert sent["Location"] == reverse("accounts:password-reset-done")

    (message,) = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.from_email == "Newsdesk <accounts@newsdesk.localhost>"
    assert message.subject == "Choose a new Newsdesk password"
    html, _ = message.alternatives[0]  # type: ignore[attr-defined]
    assert "Choose a new password" in html and "<style" not in html  # CSS inlined
    found = re.search(
        r"http://127\.0\.0\.1:8000(/account/password/reset/\S+/\S+/)", str(message.body)
    )
    assert found is not None, str(message.body)

    # Django swaps the token for a session marker and redirects to the set-password form.
    landing = client.get(found.group(1), follow=True)
    assert b"Choose a new password" in landing.content
    set_url = urlsplit(landing.redirect_chain[-1][0]).path
    weak = client.post(set_url, {"new_password1": "123", "new_password2": "123"})
    assert b"This password is too short." in weak.content
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password-reset-complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    # The link works once.
    again = client.get(found.group(1), follow=True)
    assert b"expired or was already used" in again.content
    login = client.post(
        reverse("accounts:login"), {"username": "ann@example.com", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302


def test_it_says_the_same_for_an_unknown_address_and_sends_nothing() -> None:
    response = Client().post(reverse("accounts:password-reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert not mail.outbox


def test_it_changes_the_password_and_keeps_the_session() -> None:
    user = User.objects.create_user("ann@example.com", "ann@example.com", PASSWORD)
    client = Client()
    client.force_login(user)
    wrong = client.post(
        reverse("accounts:password-change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert (
        wrong.status_code == 200 and b"Your old password was entered incorrectly" in wrong.content
    )
    changed = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed["Location"] == reverse("accounts:password-change-done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("accounts:settings")).status_code == 200
