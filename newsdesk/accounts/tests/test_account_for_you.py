"""The "For you" page: latest articles of the followed topics, each once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from newsdesk.digests.tests.helpers import make_article, make_reader, make_topic

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOON = dt.datetime(2030, 6, 1, 12, tzinfo=UTC)


def test_it_lists_the_followed_topics_articles_newest_first_each_once(
    django_assert_max_num_queries: object,
) -> None:
    politics, banks, sport = make_topic("Politics"), make_topic("Banks"), make_topic("Sport")
    user = User.objects.create_user("ann@example.com", "ann@example.com", "x")
    reader = make_reader("ann@example.com", topics=[politics, banks])
    reader.user = user
    reader.save(update_fields=["user"])
    make_article([politics], "Budget passes", NOON - dt.timedelta(hours=3))
    both = make_article([politics, banks], "Central bank and parliament", NOON)
    make_article([sport], "Cup final", NOON + dt.timedelta(hours=1))
    make_article([banks], "Wire copy of the bank story", NOON, duplicate_of=both)
    for n in range(25):
        make_article([banks], f"Filler {n}", NOON - dt.timedelta(days=2, minutes=n))

    client = Client()
    client.force_login(user)
    with django_assert_max_num_queries(7):  # type: ignore[operator]
        page = client.get(reverse("accounts:for-you"))
    text = page.content.decode()
    assert text.count("Central bank and parliament") == 1
    assert text.index("Central bank and parliament") < text.index("Budget passes")
    assert "Cup final" not in text and "Wire copy" not in text
    assert "Page 1 of 2" in text
    assert f'href="{politics.get_absolute_url()}"' in text
    second = client.get(reverse("accounts:for-you"), {"page": 2}).content.decode()
    assert "Filler 24" in second and "Budget passes" not in second


def test_it_invites_a_reader_who_follows_nothing() -> None:
    user = User.objects.create_user("bo@example.com", "bo@example.com", "x")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("accounts:for-you"))
    assert page.status_code == 200
    assert b"You follow no topics yet." in page.content
