from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.api.search import search_articles
from newsdesk.web.tests.factories import make_article, make_author, make_outlet, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> None:
    herald, post = make_outlet("Herald", slug="herald"), make_outlet("Post", slug="post")
    politics = make_topic("Politics", slug="politics")
    now = timezone.now()
    make_article(
        "Budget vote passes",
        "Parliament passed the budget vote late on Tuesday.",
        outlet=herald,
        topics=[politics],
        published_at=now - dt.timedelta(hours=2),
    )
    make_article(
        "Budget talks stall",
        "Ministers could not agree on the budget.",
        outlet=post,
        published_at=now - dt.timedelta(days=3),
    )
    make_article("Harbour reopens", "Ships are back in the harbour.", outlet=post)


def test_it_finds_articles_with_highlights_and_facets(client: Client, world: None) -> None:
    body = client.get("/api/search?q=budget").json()
    assert body["q"] == "budget" and body["count"] == 2
    found = {item["article"]["title"] for item in body["items"]}
    assert found == {"Budget vote passes", "Budget talks stall"}
    highlight = body["items"][0]["highlight"]
    assert "<mark>Budget</mark>" in highlight["title_html"]
    assert "<mark>budget</mark>" in highlight["snippet_html"]
    outlets = {f["value"]: f["count"] for f in body["facets"]["outlet"]}
    assert outlets == {"herald": 1, "post": 1}
    assert body["facets"]["topic"] == [{"value": "politics", "label": "Politics", "count": 1}]
    since = {f["value"]: f["count"] for f in body["facets"]["since"]}
    assert since == {"day": 1, "week": 2, "month": 2, "year": 2}


def test_it_narrows_by_facets_and_sorts_by_date(client: Client, world: None) -> None:
    body = client.get("/api/search?q=budget&outlet=post").json()
    assert [i["article"]["title"] for i in body["items"]] == ["Budget talks stall"]
    # The outlet facet still counts every outlet; the others apply the outlet filter.
    assert {f["value"] for f in body["facets"]["outlet"]} == {"herald", "post"}
    assert body["facets"]["topic"] == []
    body = client.get("/api/search?q=budget&since=day").json()
    assert [i["article"]["title"] for i in body["items"]] == ["Budget vote passes"]
    body = client.get("/api/search?q=budget&topic=politics").json()
    assert body["count"] == 1
    body = client.get("/api/search?q=budget&sort=newest").json()
    assert [i["article"]["title"] for i in body["items"]] == [
        "Budget vote passes",
        "Budget talks stall",
    ]


def test_it_pages_search_hits(client: Client, world: None) -> None:
    first = client.get("/api/search?q=budget&limit=1").json()
    assert first["count"] == 2 and len(first["items"]) == 1
    second = client.get(first["next"]).json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert first["items"][0]["article"]["id"] != second["items"][0]["article"]["id"]


def test_it_escapes_matched_text_in_highlights(client: Client) -> None:
    make_article("<script>alert(1)</script> budget", "The <b>budget</b> & more.")
    item = client.get("/api/search?q=budget").json()["items"][0]
    assert "<script>" not in item["highlight"]["title_html"]
    assert "&lt;script&gt;" in item["highlight"]["title_html"]
    assert "<b>" not in item["highlight"]["snippet_html"]


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 422), ("q=", 400), ("q=%22%22", 400), ("q=-", 400), ("q=x&since=decade", 422)],
)
def test_it_refuses_queries_it_cannot_run(client: Client, query: str, status: int) -> None:
    response = client.get(f"/api/search?{query}")
    assert response.status_code == status
    assert response.json()["detail"]


def test_it_searches_by_byline(client: Client) -> None:
    make_article("Untitled", authors=[make_author("Ingrid Marsh")])
    assert search_articles("marsh").total == 1
    assert not search_articles('""').usable


def test_it_searches_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    topic = make_topic()
    for _ in range(20):
        make_article("Budget news", topics=[topic], authors=[make_author()])
    # count, ranked page, articles, bylines, topics, three facets
    with django_assert_max_num_queries(8):
        body = client.get("/api/search?q=budget&limit=20").json()
    assert len(body["items"]) == 20
