from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from newsdesk.api.tests.helpers import get
from newsdesk.web.tests.factories import (
    make_article,
    make_author,
    make_outlet,
    make_topic,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def titles(body: Any) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_it_lists_articles_newest_first_with_outlet_authors_and_topics(client: Client) -> None:
    outlet = make_outlet("Valdoria Herald", slug="herald")
    topic = make_topic("Politics", slug="politics")
    first, second = make_author("Ann Lee", outlet=outlet), make_author("Bo Ray", outlet=outlet)
    make_article("Old", published_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    make_article(
        "New",
        outlet=outlet,
        topics=[topic],
        authors=[second, first],
        published_at=dt.datetime(2026, 1, 2, tzinfo=UTC),
        language="en",
    )
    body = get(client, "/api/articles")
    assert titles(body) == ["New", "Old"]
    item = body["items"][0]
    assert item["outlet"] == {"slug": "herald", "name": "Valdoria Herald"}
    assert [a["name"] for a in item["authors"]] == ["Bo Ray", "Ann Lee"]
    assert item["topics"] == [{"slug": "politics", "name": "Politics", "kind": "section"}]
    assert item["published_at"].startswith("2026-01-02T00:00:00")
    assert item["language"] == "en"
    assert item["web_url"].endswith(f"/articles/{item['id']}/")
    assert "html" not in item and "text" not in item
    assert item["credit"] == ""  # people are named
    assert body["next"] is None and body["next_cursor"] is None


def test_it_gives_the_desk_a_page_credits_when_it_names_no_person(client: Client) -> None:
    article = make_article("Steel tariffs", credit="MND Staff")
    body = get(client, f"/api/articles/{article.pk}")
    assert (body["authors"], body["credit"]) == ([], "MND Staff")


def test_it_filters_by_topic_outlet_author_dates_and_language(client: Client) -> None:
    herald, post = make_outlet(slug="herald"), make_outlet(slug="post")
    politics = make_topic(slug="politics")
    author = make_author("Ann Lee")
    day = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
    make_article("A", outlet=herald, topics=[politics], published_at=day, language="en-GB")
    make_article("B", outlet=post, authors=[author], published_at=day + dt.timedelta(days=1))
    make_article("C", outlet=post, published_at=day + dt.timedelta(days=2), language="de")

    assert titles(get(client, "/api/articles?topic=politics")) == ["A"]
    assert titles(get(client, "/api/articles?outlet=post")) == ["C", "B"]
    assert titles(get(client, f"/api/articles?author={author.pk}")) == ["B"]
    assert titles(get(client, "/api/articles?since=2026-03-11T12:00:00Z")) == ["C", "B"]
    assert titles(get(client, "/api/articles?until=2026-03-11T12:00:00Z")) == ["A"]
    assert titles(get(client, "/api/articles?since=2026-03-11&until=2026-03-12")) == ["B"]
    assert titles(get(client, "/api/articles?language=en")) == ["A"]
    assert titles(get(client, "/api/articles?language=de&outlet=post")) == ["C"]
    assert titles(get(client, "/api/articles?topic=unknown")) == []


def test_it_rejects_malformed_filters_with_a_detail_body(client: Client) -> None:
    body = get(client, "/api/articles?since=yesterday", status=422)
    assert body["detail"][0]["loc"] == ["query", "since"]
    assert get(client, "/api/articles?author=x", status=422)["detail"]
    assert get(client, "/api/articles?until=1700000000", status=422)["detail"]


@pytest.mark.parametrize("author", [str(10**30), str(-(10**20)), "0", str(2**63)])
def test_it_refuses_an_author_id_no_row_can_have_with_a_detail_body(
    client: Client, author: str
) -> None:
    body = get(client, f"/api/articles?author={author}", status=422)
    assert body["detail"][0]["loc"] == ["query", "author"]


def test_it_shows_one_article_with_body_and_identity(client: Client) -> None:
    outlet = make_outlet("Herald", slug="herald")
    topic = make_topic("Politics", slug="politics")
    author = make_author("Ann Lee", outlet=outlet, bio="Covers parliament.")
    original = make_article("Wire story")
    copy = make_article(
        "Wire story (copy)",
        "Plain text of the story.",
        outlet=outlet,
        topics=[topic],
        authors=[author],
        html="<p>Plain text of the story.</p>",
        url="https://herald.example/story?utm_source=feed",
        canonical_url="https://herald.example/story",
        duplicate_of=original,
    )
    body = get(client, f"/api/articles/{copy.pk}")
    assert body["html"] == "<p>Plain text of the story.</p>"
    assert body["text"] == "Plain text of the story."
    assert body["url"] == "https://herald.example/story?utm_source=feed"
    assert body["canonical_url"] == "https://herald.example/story"
    assert body["duplicate_of"] == original.pk
    assert body["authors"] == [{"id": author.pk, "name": "Ann Lee", "slug": author.slug}]
    assert body["topics"][0]["slug"] == "politics"
    assert body["outlet"]["slug"] == "herald"


def test_it_answers_404_in_json_for_an_unknown_article(client: Client) -> None:
    assert get(client, "/api/articles/999999", status=404) == {"detail": "Not Found"}
    assert get(client, "/api/no/such/thing", status=404) == {"detail": "Not Found"}


def test_it_exposes_only_http_urls(client: Client) -> None:
    article = make_article(
        url="javascript:alert(1)",
        canonical_url="data:text/html,<script>alert(1)</script>",
        image=" javascript:alert(2)",
    )
    body = get(client, f"/api/articles/{article.pk}")
    assert body["url"] is None
    assert body["canonical_url"] is None
    assert body["image"] is None
    listed = get(client, "/api/articles")["items"][0]
    assert listed["url"] is None and listed["image"] is None


def test_it_lists_articles_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    topics = [make_topic() for _ in range(3)]
    for _ in range(30):
        outlet = make_outlet()
        authors = [make_author(outlet=outlet) for _ in range(2)]
        make_article(outlet=outlet, topics=topics, authors=authors)
    # page + bylines with authors + topics
    with django_assert_max_num_queries(3):
        body = get(client, "/api/articles?limit=30")
    assert len(body["items"]) == 30
    assert all(len(item["authors"]) == 2 and len(item["topics"]) == 3 for item in body["items"])


def test_it_reads_one_article_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    outlet = make_outlet()
    article = make_article(
        outlet=outlet,
        topics=[make_topic() for _ in range(4)],
        authors=[make_author(outlet=outlet) for _ in range(4)],
    )
    with django_assert_max_num_queries(3):
        body = get(client, f"/api/articles/{article.pk}")
    assert len(body["authors"]) == 4 and len(body["topics"]) == 4


def test_it_reads_any_utc_offset_and_refuses_dates_past_the_calendar(client: Client) -> None:
    day = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
    make_article("A", published_at=day)
    # +17:25 is no real zone, but it is a valid ISO 8601 offset; PostgreSQL alone refuses
    # offsets beyond ±15:59, so the filter works in UTC.
    assert titles(get(client, "/api/articles?since=2026-03-11T05:25:00%2B17:25")) == ["A"]
    assert titles(get(client, "/api/articles?until=2026-03-11T05:24:00%2B17:25")) == []
    assert titles(get(client, "/api/articles?until=0039-05-18T04:32:09.8%2B17:25")) == []
    body = get(client, "/api/articles?since=0001-01-01T00:00:00%2B05:00", status=422)
    assert "outside years 1 to 9999" in body["detail"][0]["msg"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/articles?outlet=he%00rald",
        "/api/articles?topic=%00",
        "/api/outlets/he%00rald",
        "/api/topics/po%00litics",
        "/api/authors?q=%00",
    ],
)
def test_it_answers_400_to_a_nul_character_in_the_address(client: Client, url: str) -> None:
    body = get(client, url, status=400)
    assert "NUL character" in body["detail"]
