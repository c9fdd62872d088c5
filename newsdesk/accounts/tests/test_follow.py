from __future__ import annotations

import datetime as dt
import re
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.accounts import tokens
from newsdesk.accounts.models import Consent, Reader
from newsdesk.digests.management.commands.senddigests import run_once
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.tests.helpers import Sink, make_article, make_reader, make_topic, parts
from newsdesk.topics.models import Follow

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def path_of(url: str) -> str:
    return urlsplit(url).path


def follow(client: Client, slug: str, **data: Any) -> Any:
    payload = {"email": "ann@example.com", "daily": "on", "time_zone": "Europe/Berlin"}
    payload.update(data)
    return client.post(reverse("accounts:follow", args=[slug]), payload)


def test_it_runs_the_whole_flow_from_follow_to_one_click_unsubscribe(
    smtp: tuple[Sink, int],
) -> None:
    sink, _ = smtp
    topic = make_topic("Valdorian politics")
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(reverse("accounts:follow", args=[topic.slug]))
    assert b"Receive free Valdorian politics updates" in page.content
    token = page.cookies["csrftoken"].value
    response = follow(visitor, topic.slug, csrfmiddlewaretoken=token, page_url="/topics/x/")
    assert response.status_code == 302

    # Only the confirmation email goes out, from the accounts address.
    (confirmation,) = sink.messages
    assert confirmation["From"].addresses[0].addr_spec == "accounts@newsdesk.localhost"
    assert confirmation["List-Unsubscribe"] is None
    reader = Reader.objects.get(email="ann@example.com")
    assert reader.time_zone == "Europe/Berlin" and not reader.receives_email
    assert not Follow.objects.exists()
    consent = Consent.objects.get()
    assert consent.page_url == "http://testserver/topics/x/"
    assert "Receive free Valdorian politics updates" in consent.text_shown

    text, _ = parts(confirmation)
    confirm_url = re.search(r"http\S+/confirm/\S+/", text)
    assert confirm_url is not None
    confirm_page = visitor.get(path_of(confirm_url.group(0)))
    assert b"Yes, send me these updates" in confirm_page.content
    assert not Follow.objects.exists()  # a link scanner's GET confirms nothing
    visitor.post(
        path_of(confirm_url.group(0)),
        {
            "csrfmiddlewaretoken": confirm_page.cookies.get(
                "csrftoken", page.cookies["csrftoken"]
            ).value
        },
    )
    reader.refresh_from_db()
    assert reader.receives_email
    assert Follow.objects.get(reader=reader, topic=topic).daily

    # The next morning (07:00 Berlin) the digest arrives.
    due = dt.datetime(2030, 6, 2, 5, tzinfo=UTC)
    make_article([topic], "Parliament passes the budget", due - dt.timedelta(hours=2))
    run_once(due)
    (digest,) = sink.messages[1:]
    assert digest["Subject"] == "Your Newsdesk digest: 1 story on Valdorian politics"

    # The mail provider's one-click POST: no cookies, no CSRF token.
    unsubscribe = re.search(r"<(http[^>]+)>", digest["List-Unsubscribe"])
    assert unsubscribe is not None
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(path_of(unsubscribe.group(1)), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    reader.refresh_from_db()
    assert not reader.receives_email
    run_once(due + dt.timedelta(days=1))
    assert len(sink.messages) == 2


def test_it_shows_form_errors_on_the_page(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    topic = make_topic("Business")
    response = follow(Client(), topic.slug, email="not an address")
    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content
    response = follow(Client(), topic.slug, daily="")
    assert b"Choose at least one way" in response.content
    assert sink.messages == [] and not Reader.objects.exists()


# Addresses Django's EmailValidator accepts that must never become a reader.
UNMAILABLE = [
    '"a\x0bb"@example.com',  # a control character in a quoted local part
    '"\x1b[31m"@example.com',
    "ann@[127.0.0.1]",  # an address literal: our mail server delivering to a host we name
    "ann@localhost",  # a dotless domain
]


@pytest.mark.parametrize("address", UNMAILABLE)
def test_it_refuses_addresses_with_control_characters_or_no_public_domain(
    smtp: tuple[Sink, int], address: str
) -> None:
    sink, _ = smtp
    topic = make_topic("Business")
    response = follow(Client(), topic.slug, email=address)
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert sink.messages == [] and not Reader.objects.exists()


def test_it_defaults_an_unknown_time_zone_to_utc(smtp: tuple[Sink, int]) -> None:
    topic = make_topic("Business")
    follow(Client(), topic.slug, time_zone="Mars/Olympus_Mons")
    assert Reader.objects.get().time_zone == "UTC"


def test_it_does_not_resend_a_confirmation_within_minutes(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    topic = make_topic("Business")
    follow(Client(), topic.slug)
    follow(Client(), topic.slug)
    assert len(sink.messages) == 1


def test_it_does_not_let_a_stranger_add_follows_to_a_confirmed_reader(
    smtp: tuple[Sink, int],
) -> None:
    sink, _ = smtp
    topic = make_topic("Business")
    reader = make_reader("ann@example.com", zone="Asia/Tokyo", topics=[])
    follow(Client(), topic.slug, time_zone="UTC")
    reader.refresh_from_db()
    assert reader.time_zone == "Asia/Tokyo"  # their settings are untouched
    assert not Follow.objects.exists()  # until they confirm
    assert len(sink.messages) == 1


def test_it_refuses_expired_and_forged_confirmation_links() -> None:
    topic = make_topic("Business")
    reader = make_reader(topics=[])
    consent = Consent.objects.create(reader=reader, topic=topic, text_shown="x")
    token = tokens.confirm_token(consent.pk)
    client = Client()
    assert client.get(reverse("accounts:confirm", args=["forged"])).status_code == 400
    # A token for another purpose does not work here either.
    other = tokens.unsubscribe_token(reader.pk)
    assert client.get(reverse("accounts:confirm", args=[other])).status_code == 400
    # Seven days are long gone by then.
    later = mock.patch("django.core.signing.time.time", return_value=10**10)
    with pytest.raises(tokens.BadToken), later:
        tokens.read_confirm_token(token)


def test_it_unsubscribes_from_one_topic_after_a_confirming_get() -> None:
    business, tech = make_topic("Business"), make_topic("Tech")
    reader = make_reader(topics=[business, tech])
    url = reverse("digests:unsubscribe", args=[tokens.unsubscribe_token(reader.pk, business.pk)])
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert b"Stop Business emails" in page.content
    assert Follow.objects.filter(reader=reader).count() == 2  # GET changes nothing
    client.post(url)
    assert list(Follow.objects.filter(reader=reader).values_list("topic__name", flat=True)) == [
        "Tech"
    ]
    reader.refresh_from_db()
    assert reader.receives_email
    assert DigestDelivery.objects.count() == 0
