from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from newsdesk.topics.models import Topic
from newsdesk.web.tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db


def test_it_lists_topics_with_article_counts(client: Client) -> None:
    politics = make_topic("Politics", slug="politics")
    make_topic("Markets", slug="markets", kind=Topic.Kind.SEARCH, query='"central bank"')
    make_article(topics=[politics])
    make_article(topics=[politics])
    body = client.get("/api/topics").json()
    assert [(t["slug"], t["article_count"]) for t in body["items"]] == [
        ("markets", 0),
        ("politics", 2),
    ]
    assert body["items"][0]["kind"] == "search"
    assert body["items"][0]["query"] == '"central bank"'


def test_it_shows_a_topic_with_its_feeds(client: Client) -> None:
    make_topic("Politics", slug="politics", description="Parliament and parties.")
    body = client.get("/api/topics/politics").json()
    assert body["name"] == "Politics"
    assert body["description"] == "Parliament and parties."
    assert body["web_url"].endswith("/topics/politics/")
    assert body["feeds"]["atom"].endswith("/topics/politics/feed.atom")
    assert set(body["feeds"]) == {"rss", "atom", "json"}


def test_it_lists_only_the_topics_articles(client: Client) -> None:
    politics, markets = make_topic(slug="politics"), make_topic(slug="markets")
    make_article("In politics", topics=[politics])
    make_article("In both", topics=[politics, markets])
    make_article("In markets", topics=[markets])
    body = client.get("/api/topics/politics/articles").json()
    assert [a["title"] for a in body["items"]] == ["In both", "In politics"]


def test_it_answers_404_for_an_unknown_topic(client: Client) -> None:
    for url in ["/api/topics/nope", "/api/topics/nope/articles"]:
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}


def test_it_reads_topics_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    topics = [make_topic() for _ in range(20)]
    for _ in range(5):
        make_article(topics=topics)
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/topics?limit=50").json()["items"]) == 20
    with django_assert_max_num_queries(4):
        body = client.get(f"/api/topics/{topics[0].slug}/articles").json()
    assert len(body["items"]) == 5
