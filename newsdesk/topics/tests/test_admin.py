"""The editors' admin for topics: aliases one per line, counts, follows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from newsdesk.digests.tests.helpers import make_article, make_reader, make_topic
from newsdesk.topics.models import Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "x"))
    return client


def test_it_lists_topics_with_follower_and_article_counts_in_bounded_queries(
    staff: Client, django_assert_max_num_queries: Any
) -> None:
    topics = [make_topic(f"Topic {n}") for n in range(20)]
    make_reader("ann@example.com", topics=topics[:2])
    make_reader("bo@example.com", topics=topics[:1])
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for n in range(3):
        make_article([topics[0], topics[1]], f"Story {n}", when)
    with django_assert_max_num_queries(7):
        page = staff.get(reverse("admin:topics_topic_changelist"), {"o": "-5"})
    rows = page.context["cl"].result_list
    first = next(t for t in rows if t.pk == topics[0].pk)
    second = next(t for t in rows if t.pk == topics[1].pk)
    assert (first.follower_count, first.article_count) == (2, 3)
    assert (second.follower_count, second.article_count) == (1, 3)
    assert rows[0].pk == topics[0].pk  # ordered by followers, most first


def test_it_edits_aliases_one_per_line_and_finds_topics_by_them(staff: Client) -> None:
    response = staff.post(
        reverse("admin:topics_topic_add"),
        {
            "name": "Valdorian politics",
            "slug": "valdorian-politics",
            "kind": "section",
            "description": "",
            "aliases": "Politics / Valdoria\n  Valdoria \n\nValdoria\n",
            "query": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    topic = Topic.objects.get(slug="valdorian-politics")
    assert topic.aliases == ["Politics / Valdoria", "Valdoria"]
    change = staff.get(reverse("admin:topics_topic_change", args=[topic.pk]))
    assert "Politics / Valdoria\nValdoria</textarea>" in change.content.decode()
    found = staff.get(reverse("admin:topics_topic_changelist"), {"q": "politics / valdoria"})
    assert found.context["cl"].result_count == 1


def test_it_requires_a_query_for_a_saved_search(staff: Client) -> None:
    data = {"name": "EU trade", "slug": "eu-trade", "kind": "search", "aliases": "", "query": ""}
    response = staff.post(reverse("admin:topics_topic_add"), data)
    assert response.status_code == 200
    assert b"A saved search needs a query." in response.content
    saved = staff.post(reverse("admin:topics_topic_add"), {**data, "query": '"EU" AND trade'})
    assert saved.status_code == 302
    assert Topic.objects.get(slug="eu-trade").query == '"EU" AND trade'


def test_it_links_a_topic_to_its_follows(staff: Client) -> None:
    topic, other = make_topic("Banks"), make_topic("Sport")
    make_reader("ann@example.com", topics=[topic, other])
    change = staff.get(reverse("admin:topics_topic_change", args=[topic.pk])).content.decode()
    link = reverse("admin:topics_follow_changelist") + f"?topic__id__exact={topic.pk}"
    assert f'href="{link}"' in change and "1 followers" in change
    follows = staff.get(link)
    assert follows.status_code == 200
    assert [f.topic_id for f in follows.context["cl"].result_list] == [topic.pk]
