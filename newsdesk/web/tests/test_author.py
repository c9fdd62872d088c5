from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.web.tests.factories import make_article, make_author, make_outlet

pytestmark = pytest.mark.django_db


def test_it_shows_name_bio_outlet_and_articles(client: Client) -> None:
    outlet = make_outlet("Valdoria Herald")
    ann = make_author("Ann Ames", outlet=outlet, bio="Ann covers trade and farming.")
    make_article("Ann's story", authors=[ann], outlet=outlet)
    make_article("Someone else's story", authors=[make_author("Bob")])
    response = client.get(ann.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Ann Ames</h1>" in page
    assert "Ann covers trade and farming." in page
    assert f'<a href="{reverse("web:outlet", args=[outlet.slug])}">Valdoria Herald</a>' in page
    assert "Ann&#x27;s story" in page
    assert "Someone else" not in page
    assert reverse("web:author_rss", args=[ann.pk, ann.slug]) in page


def test_it_redirects_a_wrong_slug_to_the_author_page(client: Client) -> None:
    ann = make_author("Ann Ames")
    response = client.get(reverse("web:author", args=[ann.pk, "old-name"]))
    assert response.status_code == 301
    assert response["Location"] == ann.get_absolute_url()


def test_it_returns_404_for_an_unknown_author(client: Client) -> None:
    assert client.get(reverse("web:author", args=[424242, "nobody"])).status_code == 404


def test_it_reads_an_author_page_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    ann = make_author("Ann", outlet=make_outlet())
    for i in range(25):
        make_article(f"Story {i}", authors=[ann], outlet=make_outlet())
    # author + count + page
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        response = client.get(ann.get_absolute_url())
    assert response.status_code == 200
