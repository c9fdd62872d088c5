from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from newsdesk.api.routes.authors import RECENT_ARTICLES
from newsdesk.web.tests.factories import make_article, make_author, make_outlet

pytestmark = pytest.mark.django_db


def test_it_shows_an_author_with_bio_outlet_and_recent_articles(client: Client) -> None:
    outlet = make_outlet("Valdoria Herald", slug="herald")
    author = make_author("Ann Lee", outlet=outlet, bio="Covers parliament.")
    make_article("Hers", authors=[author])
    make_article("Someone else's")
    body = client.get(f"/api/authors/{author.pk}").json()
    assert body["name"] == "Ann Lee"
    assert body["bio"] == "Covers parliament."
    assert body["outlet"] == {"slug": "herald", "name": "Valdoria Herald"}
    assert body["web_url"].endswith(f"/authors/{author.pk}/{author.slug}/")
    assert [a["title"] for a in body["articles"]] == ["Hers"]


def test_it_shows_an_author_without_an_outlet(client: Client) -> None:
    author = make_author("Freelancer")
    assert client.get(f"/api/authors/{author.pk}").json()["outlet"] is None


def test_it_caps_recent_articles_and_pages_the_rest(client: Client) -> None:
    author = make_author()
    for _ in range(RECENT_ARTICLES + 2):
        make_article(authors=[author])
    assert len(client.get(f"/api/authors/{author.pk}").json()["articles"]) == RECENT_ARTICLES
    first = client.get(f"/api/authors/{author.pk}/articles?limit=10").json()
    second = client.get(first["next"]).json()
    assert len(first["items"]) + len(second["items"]) == RECENT_ARTICLES + 2


def test_it_answers_404_for_an_unknown_author(client: Client) -> None:
    assert client.get("/api/authors/999999").status_code == 404
    assert client.get("/api/authors/999999/articles").json() == {"detail": "Not Found"}


def test_it_reads_an_author_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    author = make_author()
    for _ in range(RECENT_ARTICLES):
        make_article(authors=[author, make_author()])
    # author + outlet, articles, bylines, topics
    with django_assert_max_num_queries(4):
        assert client.get(f"/api/authors/{author.pk}").status_code == 200
