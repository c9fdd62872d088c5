"""Sign-up to deletion: the reader account's whole life, through the pages."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.account_forms import weekly_day_field
from newsdesk.accounts.models import Consent, Reader
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.tests.helpers import make_reader, make_topic
from newsdesk.topics.models import Follow

pytestmark = pytest.mark.django_db
UTC = dt.UTC
PASSWORD = "plum-harbour-lantern-42"


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    cache.clear()  # the one-email-per-address throttle lives in the cache
    yield
    cache.clear()


def sign_up(client: Client, email: str = "ann@example.com", **extra: str) -> Any:
    data = {
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "time_zone": "Europe/Berlin",
        **extra,
    }
    return client.post(reverse("accounts:signup"), data)


def link_in(message: mail.EmailMessage, pattern: str) -> str:
    found = re.search(r"http\S+" + pattern + r"\S*/", str(message.body))
    assert found is not None, str(message.body)
    return urlsplit(found.group(0)).path


def test_it_runs_sign_up_confirm_login_settings_export_and_deletion() -> None:
    client = Client()
    response = sign_up(client, email="Ann@Example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup-sent")

    user = User.objects.get()
    assert (user.username, user.email, user.is_active) == ("ann@example.com",) * 2 + (False,)
    assert not Reader.objects.exists()  # no reader before the address is proven

    (message,) = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.from_email == "Newsdesk <accounts@newsdesk.localhost>"
    assert message.subject == "Confirm your Newsdesk account"
    html, content_type = message.alternatives[0]  # type: ignore[attr-defined]
    assert content_type == "text/html" and "Confirm my account" in html
    activate_path = link_in(message, "/account/activate/")

    # Not active yet: the login page says why, to the person who knows the password.
    refused = client.post(
        reverse("accounts:login"), {"username": "ann@example.com", "password": PASSWORD}
    )
    assert b"not confirmed your email address yet" in refused.content

    page = client.get(activate_path)
    assert page.status_code == 200 and b"Confirm my account" in page.content
    user.refresh_from_db()
    assert not user.is_active  # a GET (a mail scanner) confirms nothing

    confirmed = client.post(activate_path, {"password": PASSWORD})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("accounts:settings")
    user.refresh_from_db()
    reader = Reader.objects.get(user=user)
    assert user.is_active
    assert reader.email == "ann@example.com" and reader.time_zone == "Europe/Berlin"
    assert reader.confirmed_at is not None and reader.receives_email
    assert b"Your account is ready." in client.get(reverse("accounts:settings")).content

    # The link is used up.
    assert client.post(activate_path, {"password": PASSWORD}).status_code == 400

    # Log out (POST only) and in again, by email address in any case.
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:settings")).status_code == 302
    login = client.post(
        reverse("accounts:login"), {"username": "ANN@example.com", "password": PASSWORD}
    )
    assert login.status_code == 302 and login["Location"] == reverse("accounts:for-you")

    # Settings: zone, hour, weekly day (when the model has one), pause.
    topic = make_topic("Valdorian politics")
    Follow.objects.create(reader=reader, topic=topic)
    weekly = {"weekly_day": "4"} if weekly_day_field() is not None else {}
    saved = client.post(
        reverse("accounts:settings"),
        {"time_zone": "America/New_York", "digest_hour": "6", "paused": "on", **weekly},
    )
    assert saved.status_code == 302
    reader.refresh_from_db()
    assert reader.time_zone == "America/New_York"
    assert reader.digest_time == dt.time(6, 0) and reader.paused
    if weekly:
        assert getattr(reader, "weekly_day", None) == 4
    settings_page = client.get(reverse("accounts:settings"))
    assert b"Your settings are saved." in settings_page.content
    assert b"Valdorian politics" in settings_page.content

    # Export: a JSON download of everything held about the account.
    Consent.objects.create(reader=reader, topic=topic, text_shown="Receive free updates")
    DigestDelivery.objects.create(
        reader=reader,
        local_date=dt.date(2030, 6, 2),
        due_at=dt.datetime(2030, 6, 2, 10, tzinfo=UTC),
        window_start=dt.datetime(2030, 6, 1, 10, tzinfo=UTC),
        window_end=dt.datetime(2030, 6, 2, 10, tzinfo=UTC),
        status=DigestDelivery.Status.SENT,
        article_count=3,
        message_id="<abc@newsdesk.localhost>",
    )
    assert client.get(reverse("accounts:export")).status_code == 405
    download = client.post(reverse("accounts:export"))
    assert download["Content-Type"] == "application/json; charset=utf-8"
    assert download["Content-Disposition"].startswith('attachment; filename="newsdesk-data-')
    assert download["Cache-Control"] == "no-store"
    exported = json.loads(download.content)
    assert exported["account"]["email"] == "ann@example.com"
    assert exported["reader"]["time_zone"] == "America/New_York"
    assert exported["reader"]["digest_time"] == "06:00:00"
    assert exported["reader"]["paused"] is True
    assert [f["topic__slug"] for f in exported["follows"]] == [topic.slug]
    assert exported["follows"][0]["daily"] is True
    assert exported["consents"][0]["text_shown"] == "Receive free updates"
    (delivery,) = exported["deliveries"]
    assert delivery["local_date"] == "2030-06-02" and delivery["status"] == "sent"
    assert delivery["article_count"] == 3 and delivery["message_id"] == "<abc@newsdesk.localhost>"
    assert "password" not in download.content.decode()

    # Deletion: the page names what goes; a wrong password deletes nothing.
    delete_page = client.get(reverse("accounts:delete"))
    text = delete_page.content.decode()
    assert "the topics you follow (1)" in text
    assert "1 consent record" in text and "1 delivery record" in text
    wrong = client.post(reverse("accounts:delete"), {"password": "not it"})
    assert wrong.status_code == 400 and b"That password is not right." in wrong.content
    assert User.objects.exists()

    gone = client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert gone["Location"] == reverse("accounts:deleted")
    assert not User.objects.exists() and not Reader.objects.exists()
    assert not Follow.objects.exists() and not Consent.objects.exists()
    assert not DigestDelivery.objects.exists()
    assert client.get(reverse("accounts:settings")).status_code == 302  # logged out


def test_it_links_an_existing_visitor_reader_and_keeps_its_follows() -> None:
    topics = [make_topic("Valdorian politics"), make_topic("Central banks")]
    visitor = make_reader("bo@example.com", zone="Asia/Tokyo", topics=topics)
    Consent.objects.create(reader=visitor, topic=topics[0], text_shown="Receive free updates")
    client = Client()
    sign_up(client, email="bo@example.com")
    client.post(link_in(mail.outbox[0], "/account/activate/"), {"password": PASSWORD})

    user = User.objects.get(username="bo@example.com")
    assert Reader.objects.count() == 1
    visitor.refresh_from_db()
    assert visitor.user == user
    assert visitor.time_zone == "Asia/Tokyo"  # the reader's own setting is kept
    assert visitor.confirmed_at == dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert b"You follow 2 topics." in client.get(reverse("accounts:settings")).content
    exported = json.loads(client.post(reverse("accounts:export")).content)
    assert {f["topic__name"] for f in exported["follows"]} == {
        "Valdorian politics",
        "Central banks",
    }
    assert len(exported["consents"]) == 1


def test_it_asks_the_password_on_confirmation_so_a_stranger_cannot_claim_a_reader() -> None:
    topic = make_topic("Valdorian politics")
    make_reader("cy@example.com", topics=[topic])
    sign_up(Client(), email="cy@example.com")  # a stranger, with their password
    owner = Client()
    path = link_in(mail.outbox[0], "/account/activate/")
    refused = owner.post(path, {"password": "whatever-the-owner-tries"})
    assert refused.status_code == 400
    assert b"not the password you signed up with" in refused.content
    assert Reader.objects.get().user is None
    assert not User.objects.get().is_active


def test_it_refuses_expired_forged_and_replaced_links() -> None:
    client = Client()
    sign_up(client)
    first = link_in(mail.outbox[0], "/account/activate/")
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 8 * 86400):
        expired = client.post(first, {"password": PASSWORD})
    assert expired.status_code == 400 and b"expired or is not valid" in expired.content
    assert client.get(first[:-6] + "xxxxx/").status_code == 400

    # Signing up again (after the throttle) sets a new password and a new link; the old
    # link stops working.
    cache.clear()
    sign_up(client, password1="second-lantern-harbour-7", password2="second-lantern-harbour-7")
    assert len(mail.outbox) == 2
    assert client.post(first, {"password": PASSWORD}).status_code == 400
    second = link_in(mail.outbox[1], "/account/activate/")
    assert client.post(second, {"password": "second-lantern-harbour-7"}).status_code == 302


def test_it_sends_one_email_per_address_in_ten_minutes() -> None:
    sign_up(Client())
    sign_up(Client())
    assert len(mail.outbox) == 1
    assert User.objects.count() == 1


def test_it_tells_an_existing_account_by_email_and_not_on_the_page() -> None:
    User.objects.create_user("dee@example.com", "dee@example.com", PASSWORD)
    response = sign_up(Client(), email="dee@example.com")
    assert response["Location"] == reverse("accounts:signup-sent")  # same as a new address
    (message,) = mail.outbox
    assert message.subject == "You already have a Newsdesk account"
    assert "/account/password/reset/" in str(message.body)
    assert User.objects.count() == 1


def test_it_never_reactivates_a_deactivated_account() -> None:
    user = User.objects.create_user("eve@example.com", "eve@example.com", PASSWORD)
    user.last_login = dt.datetime(2026, 1, 1, tzinfo=UTC)
    user.is_active = False
    user.save()
    sign_up(Client(), email="eve@example.com", password1="new-pass-lantern-9")
    assert not mail.outbox
    user.refresh_from_db()
    assert not user.is_active and user.check_password(PASSWORD)


def test_it_shows_form_errors() -> None:
    response = sign_up(
        Client(), email="not an email", password2="different", time_zone="Mars/Olympus"
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter a valid email address." in text
    assert "The two passwords differ." in text
    assert "Select a valid choice." in text
    weak = sign_up(Client(), password1="12345678", password2="12345678")
    assert b"This password is entirely numeric." in weak.content
    assert not User.objects.exists() and not mail.outbox


@pytest.mark.parametrize("address", ['"a\x01b"@example.com', "ann@[127.0.0.1]", "ann@localhost"])
def test_it_refuses_to_sign_up_an_address_with_control_characters_or_no_public_domain(
    address: str,
) -> None:
    response = sign_up(Client(), email=address)
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not User.objects.exists() and not mail.outbox


def test_it_renders_the_pages_without_inline_script_or_style() -> None:
    client = Client()
    for name in ["signup", "login", "password-reset"]:
        page = client.get(reverse(f"accounts:{name}")).content.decode()
        assert "<script>" not in page and "style=" not in page and "<style" not in page
    signup = client.get(reverse("accounts:signup")).content.decode()
    assert "/static/accounts/account.js" in signup
    assert 'data-browser-zone="guess"' in signup
