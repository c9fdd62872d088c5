from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.web.tests.factories import make_article, make_author, make_outlet, make_topic
from newsdesk.web.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


def test_it_shows_the_topic_with_follow_box_and_latest_articles(client: Client) -> None:
    topic = make_topic("EU trade", slug="eu-trade", description="Trade within and with the EU.")
    make_article("Tariffs lifted", topics=[topic], snippet="Brussels agreed.")
    make_article("Unrelated football", topics=[make_topic()])
    response = client.get(reverse("web:topic", args=["eu-trade"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>EU trade</h1>" in page
    assert "Trade within and with the EU." in page
    assert "Tariffs lifted" in page
    assert "Brussels agreed." in page
    assert "Unrelated football" not in page
    assert "Receive free EU trade updates" in page
    assert f'action="{reverse("accounts:follow", args=["eu-trade"])}"' in page


def test_it_links_feeds_for_autodiscovery_and_readers(client: Client) -> None:
    make_topic("EU trade", slug="eu-trade")
    page = client.get(reverse("web:topic", args=["eu-trade"])).content.decode()
    rss = reverse("web:topic_rss", args=["eu-trade"])
    atom = reverse("web:topic_atom", args=["eu-trade"])
    assert (
        f'<link rel="alternate" type="application/rss+xml" title="EU trade (RSS)" href="{rss}">'
        in page
    )
    assert (
        f'<link rel="alternate" type="application/atom+xml" title="EU trade (Atom)" href="{atom}">'
        in page
    )
    assert f'<a href="{rss}"' in page


def test_it_draws_the_daily_volume_chart_inline(client: Client) -> None:
    topic = make_topic("EU trade", slug="eu-trade")
    today = timezone.now()
    for _ in range(3):
        make_article(topics=[topic], published_at=today)
    make_article(topics=[topic], published_at=today - dt.timedelta(days=2))
    make_article(topics=[topic], published_at=today - dt.timedelta(days=45))
    page = client.get(reverse("web:topic", args=["eu-trade"])).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page
    assert page.count('class="chart-bar"') == 30
    assert "4 EU trade articles in the last 30 days" in page
    assert f"{timezone.localdate():%a %d %b %Y}: 3 articles" in page


def test_it_paginates_the_articles(client: Client) -> None:
    topic = make_topic(slug="paged")
    now = timezone.now()
    for i in range(PAGE_SIZE + 3):
        make_article(f"Paged {i:02d}", topics=[topic], published_at=now - dt.timedelta(minutes=i))
    first = client.get(reverse("web:topic", args=["paged"]))
    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert 'rel="next" href="?page=2"' in first.content.decode()
    second = client.get(reverse("web:topic", args=["paged"]), {"page": 2})
    assert [a.title for a in second.context["page"].object_list] == [
        f"Paged {i:02d}" for i in range(PAGE_SIZE, PAGE_SIZE + 3)
    ]
    assert client.get(reverse("web:topic", args=["paged"]), {"page": 9}).status_code == 404
    assert client.get(reverse("web:topic", args=["paged"]), {"page": "x"}).status_code == 404


def test_it_returns_404_for_an_unknown_topic(client: Client) -> None:
    assert client.get(reverse("web:topic", args=["nope"])).status_code == 404


def test_it_lists_all_topics(client: Client) -> None:
    topic = make_topic("Central banks")
    make_article(topics=[topic])
    page = client.get(reverse("web:topics")).content.decode()
    assert f'<a href="{topic.get_absolute_url()}">Central banks</a>' in page
    assert "1 article" in page


def test_it_reads_a_topic_page_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    topic = make_topic(slug="busy")
    authors = [make_author() for _ in range(2)]
    for i in range(30):
        make_article(f"Busy {i}", topics=[topic], outlet=make_outlet(), authors=authors)
    # topic + chart + count + page
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        response = client.get(reverse("web:topic", args=["busy"]))
    assert response.status_code == 200


def test_it_counts_chart_days_at_their_edges(client: Client) -> None:
    topic = make_topic("Edges", slug="edges")
    today = timezone.localdate()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    make_article(topics=[topic], published_at=midnight)  # first moment of today
    make_article(topics=[topic], published_at=midnight - dt.timedelta(microseconds=1))
    make_article(topics=[topic], published_at=midnight - dt.timedelta(days=29))  # day 1 of 30
    make_article(topics=[topic], published_at=midnight - dt.timedelta(days=29, seconds=1))
    page = client.get(reverse("web:topic", args=["edges"])).content.decode()
    assert "3 Edges articles in the last 30 days" in page
    assert f"{today:%a %d %b %Y}: 1 article<" in page
