from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.web.tests.factories import make_article, make_author, make_outlet, make_topic

pytestmark = pytest.mark.django_db


def test_it_shows_recent_posts_newest_first_with_outlet_and_snippet(client: Client) -> None:
    outlet = make_outlet("Valdoria Herald")
    now = timezone.now()
    make_article("Older story", outlet=outlet, published_at=now - dt.timedelta(hours=2))
    make_article("Newer story", outlet=outlet, published_at=now, snippet="Fresh words.")
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Recent posts" in page
    assert page.index("Newer story") < page.index("Older story")
    assert "Valdoria Herald" in page
    assert "Fresh words." in page


def test_it_limits_recent_posts_to_thirty(client: Client) -> None:
    outlet = make_outlet()
    now = timezone.now()
    for i in range(32):
        make_article(f"Numbered {i:02d}", outlet=outlet, published_at=now - dt.timedelta(minutes=i))
    recent = client.get(reverse("web:home")).context["recent"]
    assert len(recent) == 30
    assert recent[0].title == "Numbered 00"


def test_it_ranks_the_most_covered_story_first(client: Client) -> None:
    now = timezone.now()
    lead = make_article("Central bank raises rates to 4%", published_at=now - dt.timedelta(hours=3))
    make_article("Central bank raises rates to 4%", duplicate_of=lead, published_at=now)
    make_article("Central Bank Raises Rates To 4% | Daily Wire", published_at=now)
    make_article("Farmers protest in the capital", published_at=now)
    make_article("Farmers protest in the capital", published_at=now)
    make_article("A story only one outlet told", published_at=now)
    response = client.get(reverse("web:home"))
    stories = response.context["stories"]
    assert [len(s.articles) for s in stories] == [3, 2]
    assert stories[0].lead == lead
    page = response.content.decode()
    assert "Most covered today" in page
    assert "3 articles from 3 outlets" in page


def test_it_hides_the_coverage_box_when_nothing_is_covered_twice(client: Client) -> None:
    make_article("Lonely story")
    page = client.get(reverse("web:home")).content.decode()
    assert "Most covered today" not in page
    assert "Lonely story" in page


def test_it_shows_yesterdays_coverage_when_nothing_is_new_today(client: Client) -> None:
    long_ago = timezone.now() - dt.timedelta(days=40)
    make_article("Old but covered story here", published_at=long_ago)
    make_article("Old but covered story here", published_at=long_ago - dt.timedelta(hours=1))
    stories = client.get(reverse("web:home")).context["stories"]
    assert len(stories) == 1


def test_it_renders_an_empty_site(client: Client) -> None:
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    assert "No articles yet" in response.content.decode()


def test_it_reads_the_front_page_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    outlets = [make_outlet() for _ in range(5)]
    topic = make_topic()
    author = make_author()
    for i in range(40):
        make_article(
            f"Story number {i % 10} about the budget vote",
            outlet=outlets[i % 5],
            topics=[topic],
            authors=[author],
        )
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        response = client.get(reverse("web:home"))
    assert response.status_code == 200
