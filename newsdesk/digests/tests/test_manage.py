"""The "manage subscription" page linked from every digest and alert footer."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.accounts import tokens
from newsdesk.accounts.models import Reader
from newsdesk.digests import suppress
from newsdesk.digests.management.commands.senddigests import run_once
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.tests.helpers import Sink, make_article, make_reader, make_topic, parts
from newsdesk.topics.models import Follow

pytestmark = pytest.mark.django_db
UTC = dt.UTC
DUE = dt.datetime(2026, 6, 2, 7, tzinfo=UTC)


def manage_path(reader: Reader) -> str:
    return reverse("digests:manage", args=[tokens.manage_token(reader.pk)])


def test_every_digest_links_the_manage_page(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    topic = make_topic("Valdorian politics")
    reader = make_reader(topics=[topic])
    make_article([topic], "Parliament passes the budget", DUE - dt.timedelta(hours=2))
    run_once(DUE + dt.timedelta(minutes=1))
    text, html = parts(sink.messages[0])
    found = re.search(r"Manage your subscription \(pause, time, topics\): (\S+)", text)
    assert found is not None
    assert urlsplit(found.group(1)).path == manage_path(reader)
    assert f'href="http://127.0.0.1:8000{manage_path(reader)}"' in html
    page = Client().get(urlsplit(found.group(1)).path)
    assert page.status_code == 200
    assert b"ann@example.com" in page.content and b"Valdorian politics" in page.content


def test_it_changes_delivery_settings_and_topics() -> None:
    business, tech = make_topic("Business"), make_topic("Tech")
    reader = make_reader(topics=[business, tech])
    client = Client(enforce_csrf_checks=True)
    page = client.get(manage_path(reader))
    csrf = page.cookies["csrftoken"].value
    business_follow, tech_follow = Follow.objects.filter(reader=reader).order_by("created")
    response = client.post(
        manage_path(reader),
        {
            "csrfmiddlewaretoken": csrf,
            "paused": "on",
            "time_zone": "America/New_York",
            "digest_hour": "6",
            "weekly_day": "4",
            f"follow-{business_follow.pk}-weekly": "on",
            f"follow-{business_follow.pk}-instant": "on",
            # Tech: all three unticked -> stop it
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?saved=1")
    reader.refresh_from_db()
    assert reader.paused and reader.time_zone == "America/New_York"
    assert reader.digest_time == dt.time(6) and reader.weekly_day == 4
    business_follow.refresh_from_db()
    assert (business_follow.daily, business_follow.weekly, business_follow.instant) == (
        False,
        True,
        True,
    )
    assert not Follow.objects.filter(pk=tech_follow.pk).exists()
    assert b"Saved." in client.get(response["Location"]).content


def test_it_refuses_bad_tokens_and_bad_values() -> None:
    reader = make_reader(topics=[make_topic("Business")])
    client = Client()
    assert client.get(reverse("digests:manage", args=["forged"])).status_code == 400
    # An unsubscribe token is for another purpose.
    other = tokens.unsubscribe_token(reader.pk)
    assert client.get(reverse("digests:manage", args=[other])).status_code == 400
    response = client.post(
        manage_path(reader), {"time_zone": "Mars/Base", "digest_hour": "7", "weekly_day": "0"}
    )
    assert response.status_code == 400
    reader.refresh_from_db()
    assert reader.time_zone == "UTC"


def test_it_resubscribes_and_a_changed_hour_moves_the_planned_digest(
    smtp: tuple[Sink, int],
) -> None:
    sink, _ = smtp
    topic = make_topic("Business")
    reader = make_reader(topics=[topic])
    Reader.objects.filter(pk=reader.pk).update(unsubscribed_at=DUE - dt.timedelta(days=3))
    page = Client().get(manage_path(reader))
    assert b"Send me emails again" in page.content
    Client().post(
        manage_path(reader),
        {
            "time_zone": "UTC",
            "digest_hour": "9",
            "weekly_day": "0",
            "resubscribe": "on",
            f"follow-{reader.follows.get().pk}-daily": "on",
        },
    )
    reader.refresh_from_db()
    assert reader.receives_email and reader.digest_time == dt.time(9)
    make_article([topic], "Rates held", DUE - dt.timedelta(hours=1))
    run_once(DUE + dt.timedelta(minutes=1))  # 07:01: not due any more at 07:00
    assert sink.messages == [] and not DigestDelivery.objects.exists()
    run_once(DUE + dt.timedelta(hours=2, minutes=1))
    assert len(sink.messages) == 1


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("complaint", "a message we sent to it was reported as spam"),
        ("soft_bounces", "our mail to it kept failing for days and none of it got through"),
        ("hard_bounce", "its mail server told us it does not exist or refuses our mail"),
    ],
)
def test_the_owners_manage_page_says_why_mail_stopped(reason: str, words: str) -> None:
    reader = make_reader(topics=[make_topic("Tech")])
    suppress.suppress(reader.email, reason, source="test")
    page = Client().get(manage_path(reader)).content.decode()
    assert f"We stopped emailing this address: {words}." in page


def test_the_manage_page_of_a_deliverable_address_shows_no_suppression() -> None:
    reader = make_reader(topics=[make_topic("Tech")])
    page = Client().get(manage_path(reader)).content.decode()
    assert "We stopped emailing" not in page
