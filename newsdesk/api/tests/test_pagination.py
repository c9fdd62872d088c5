from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from newsdesk.api.pagination import MAX_LIMIT, MAX_OFFSET
from newsdesk.api.tests.helpers import get
from newsdesk.web.tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOON = dt.datetime(2026, 5, 1, 12, tzinfo=UTC)


def walk(client: Client, url: str) -> list[list[int]]:
    """Every page's ids, following ``next`` to the end."""
    pages = []
    while url:
        body = get(client, url)
        pages.append([item["id"] for item in body["items"]])
        url = body["next"]
        assert len(pages) < 50
    return pages


def test_it_pages_articles_by_cursor_through_equal_publication_times(client: Client) -> None:
    # Ten articles share one second: the id breaks the tie, so none is skipped or repeated.
    ids = [make_article(published_at=NOON).pk for _ in range(10)]
    ids += [make_article(published_at=NOON - dt.timedelta(hours=i + 1)).pk for i in range(15)]
    pages = walk(client, "/api/articles?limit=10")
    assert [len(page) for page in pages] == [10, 10, 5]
    flat = [pk for page in pages for pk in page]
    assert flat == sorted(ids[:10], reverse=True) + ids[10:]


def test_it_sees_each_article_once_when_new_ones_arrive_while_paging(client: Client) -> None:
    for hours in range(6):
        make_article(published_at=NOON - dt.timedelta(hours=hours))
    first = get(client, "/api/articles?limit=3")
    make_article("Breaking", published_at=NOON + dt.timedelta(minutes=5))
    second = get(client, first["next"])
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert len(seen) == len(set(seen)) == 6
    assert second["next"] is None


def test_it_passes_filters_along_in_the_next_link(client: Client) -> None:
    topic = make_topic(slug="politics")
    for _ in range(3):
        make_article(topics=[topic])
        make_article()
    first = get(client, "/api/articles?topic=politics&limit=2")
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["topic"] == ["politics"] and query["limit"] == ["2"]
    assert query["cursor"] == [first["next_cursor"]]
    second = get(client, f"/api/articles?topic=politics&limit=2&cursor={first['next_cursor']}")
    assert len(second["items"]) == 1 and second["next"] is None


def test_it_stops_exactly_at_a_full_last_page(client: Client) -> None:
    for _ in range(4):
        make_article()
    first = get(client, "/api/articles?limit=4")
    assert len(first["items"]) == 4
    assert first["next"] is None and first["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        (f"limit={MAX_LIMIT}", 200),
        (f"limit={MAX_LIMIT + 1}", 422),
        ("limit=0", 422),
        ("limit=-1", 422),
        ("cursor=not-a-cursor", 400),
        ("cursor=MjAyNi0wMS0wMXwx", 400),  # "2026-01-01|1": a naive time
    ],
)
def test_it_checks_cursor_page_parameters(client: Client, query: str, status: int) -> None:
    make_article()
    body = get(client, f"/api/articles?{query}", status=status)
    if status != 200:
        assert body["detail"]


def test_it_pages_topics_by_limit_and_offset(client: Client) -> None:
    for name in ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]:
        make_topic(name)
    first = get(client, "/api/topics?limit=2")
    assert [t["name"] for t in first["items"]] == ["Alpha", "Bravo"]
    assert first["count"] == 5 and first["offset"] == 0 and first["limit"] == 2
    second = get(client, first["next"])
    assert [t["name"] for t in second["items"]] == ["Charlie", "Delta"]
    third = get(client, second["next"])
    assert [t["name"] for t in third["items"]] == ["Echo"]
    assert third["next"] is None
    assert get(client, "/api/topics?offset=5")["items"] == []
    assert get(client, "/api/topics?limit=5")["next"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        (f"offset={MAX_OFFSET}", 200),
        (f"offset={MAX_OFFSET + 1}", 422),
        ("offset=-1", 422),
        (f"limit={MAX_LIMIT + 1}", 422),
    ],
)
def test_it_checks_offset_page_parameters(client: Client, query: str, status: int) -> None:
    body = get(client, f"/api/topics?{query}", status=status)
    assert ("detail" in body) == (status != 200)
