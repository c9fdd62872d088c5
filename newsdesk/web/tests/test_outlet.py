from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.sources.models import Source
from newsdesk.web.tests.factories import make_article, make_outlet, make_source

pytestmark = pytest.mark.django_db


def test_it_shows_each_sources_health_in_plain_words(client: Client) -> None:
    outlet = make_outlet("Valdoria Herald", slug="herald")
    now = timezone.now()
    make_source(
        outlet,
        url="https://herald.example/rss",
        title="Herald politics",
        status=Source.Status.ERROR,
        last_error="HTTPError: HTTP 503 Service Unavailable",
        error_count=4,
        last_fetched_at=now - dt.timedelta(hours=2),
        last_success_at=now - dt.timedelta(days=1),
        next_fetch_at=now + dt.timedelta(minutes=30),
    )
    make_source(outlet, url="https://herald.example/sitemap.xml", kind=Source.Kind.SITEMAP)
    page = client.get(reverse("web:outlet", args=["herald"])).content.decode()
    assert "<h1>Valdoria Herald</h1>" in page
    assert "Herald politics" in page
    assert "Failing" in page
    assert "failed 4 times in a row" in page
    assert "The site had a server error (HTTP 503); we will try again." in page
    assert "HTTPError: HTTP 503 Service Unavailable" in page
    assert "2\xa0hours ago" in page
    assert "in 29\xa0minutes" in page or "in 30\xa0minutes" in page
    assert "Not fetched yet" in page
    assert "News sitemap" in page


def test_it_lists_the_outlets_latest_articles(client: Client) -> None:
    outlet = make_outlet("Valdoria Herald", slug="herald")
    make_article("Herald story", outlet=outlet)
    make_article("Other outlet story")
    response = client.get(reverse("web:outlet", args=["herald"]))
    page = response.content.decode()
    assert "Herald story" in page
    assert "Other outlet story" not in page
    assert reverse("web:outlet_atom", args=["herald"]) in page


def test_it_returns_404_for_an_unknown_outlet(client: Client) -> None:
    assert client.get(reverse("web:outlet", args=["nope"])).status_code == 404


def test_it_reads_an_outlet_page_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    outlet = make_outlet(slug="busy")
    for _ in range(4):
        make_source(outlet)
    for i in range(25):
        make_article(f"Story {i}", outlet=outlet)
    # outlet + sources + count + page
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        response = client.get(reverse("web:outlet", args=["busy"]))
    assert response.status_code == 200
