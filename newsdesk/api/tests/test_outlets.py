from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from newsdesk.sources.models import Source
from newsdesk.web.tests.factories import make_article, make_outlet, make_source

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def test_it_lists_outlets_with_article_counts(client: Client) -> None:
    herald = make_outlet("Herald", slug="herald")
    make_outlet("Post", slug="post", home_url="javascript:alert(1)")
    make_article(outlet=herald)
    body = client.get("/api/outlets").json()
    assert [(o["slug"], o["article_count"]) for o in body["items"]] == [("herald", 1), ("post", 0)]
    assert body["items"][1]["home_url"] is None
    assert body["items"][0]["web_url"].endswith("/sources/herald/")


def test_it_shows_each_sources_fetch_health(client: Client) -> None:
    outlet = make_outlet("Herald", slug="herald", home_url="https://herald.example/")
    fetched = dt.datetime(2026, 2, 1, 8, tzinfo=UTC)
    make_source(
        outlet,
        url="https://herald.example/rss",
        status=Source.Status.ERROR,
        last_error="HTTPError: HTTP 503 Service Unavailable",
        error_count=4,
        last_fetched_at=fetched,
        last_success_at=fetched - dt.timedelta(days=1),
        next_fetch_at=fetched + dt.timedelta(minutes=30),
    )
    make_source(outlet, url="https://herald.example/sitemap.xml", kind=Source.Kind.SITEMAP)
    make_source(url="https://other.example/rss")
    body = client.get("/api/outlets/herald").json()
    assert body["home_url"] == "https://herald.example/"
    failing, fresh = body["sources"]
    assert failing["url"] == "https://herald.example/rss"
    assert failing["status"] == "error" and failing["status_label"] == "Failing"
    assert failing["last_error"] == "HTTPError: HTTP 503 Service Unavailable"
    assert failing["last_error_summary"].startswith("The site had a server error (HTTP 503)")
    assert failing["error_count"] == 4
    assert failing["last_fetched_at"].startswith("2026-02-01T08:00:00")
    assert failing["next_attempt_at"].startswith("2026-02-01T08:30:00")
    assert fresh["kind"] == "sitemap" and fresh["status"] == "new"
    assert fresh["last_fetched_at"] is None and fresh["last_error_summary"] == ""


def test_it_answers_404_for_an_unknown_outlet(client: Client) -> None:
    assert client.get("/api/outlets/nope").json() == {"detail": "Not Found"}


def test_it_reads_outlets_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    outlets = [make_outlet() for _ in range(15)]
    for outlet in outlets:
        make_source(outlet)
        make_source(outlet)
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/outlets?limit=15").json()["items"]) == 15
    with django_assert_max_num_queries(2):
        assert len(client.get(f"/api/outlets/{outlets[0].slug}").json()["sources"]) == 2
