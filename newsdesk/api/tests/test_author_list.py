from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from newsdesk.api.pagination import MAX_LIMIT
from newsdesk.api.routes.authors import MAX_NAME_QUERY
from newsdesk.api.tests.helpers import get
from newsdesk.articles.models import Author
from newsdesk.web.tests.factories import make_article, make_author, make_outlet

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOON = dt.datetime(2026, 5, 1, 12, tzinfo=UTC)


def names(client: Client, query: str = "") -> list[str]:
    return [item["name"] for item in get(client, f"/api/authors?{query}")["items"]]


def with_articles(name: str, count: int = 1, **fields: Any) -> Author:
    author = make_author(name, **fields)
    for _ in range(count):
        make_article(authors=[author])
    return author


def test_it_lists_an_author_with_counts_outlet_and_links(client: Client) -> None:
    herald = make_outlet("Valdoria Herald", slug="herald")
    author = make_author("Ann Lee", outlet=herald)
    make_article(authors=[author], published_at=NOON - dt.timedelta(days=2))
    make_article(authors=[author], published_at=NOON)
    body = get(client, "/api/authors")
    assert body["count"] == 1 and body["next"] is None
    (item,) = body["items"]
    assert item["id"] == author.pk and item["name"] == "Ann Lee" and item["slug"] == "ann-lee"
    assert item["outlet"] == {"slug": "herald", "name": "Valdoria Herald"}
    assert item["article_count"] == 2
    assert dt.datetime.fromisoformat(item["latest_article_at"]) == NOON
    assert item["web_url"].endswith(f"/authors/{author.pk}/ann-lee/")
    assert item["feeds"]["atom"].endswith(f"/authors/{author.pk}/ann-lee/feed.atom")
    assert set(item["feeds"]) == {"rss", "atom", "json"}
    # api_url is this API's detail of the same author.
    detail = get(client, urlsplit(item["api_url"]).path)
    assert detail["id"] == author.pk and detail["name"] == "Ann Lee"


def test_it_lists_an_author_without_an_outlet(client: Client) -> None:
    with_articles("Freelancer")
    assert get(client, "/api/authors")["items"][0]["outlet"] is None


def test_it_leaves_out_authors_without_articles(client: Client) -> None:
    with_articles("Has one")
    make_author("Has none")
    body = get(client, "/api/authors")
    assert [item["name"] for item in body["items"]] == ["Has one"]
    assert body["count"] == 1


def test_it_counts_originals_only_and_leaves_out_authors_of_copies_alone(client: Client) -> None:
    reporter = make_author("Wire Reporter", outlet=make_outlet(slug="wire"))
    reprinted = make_author("Wire Reporter", outlet=make_outlet(slug="gazette"))
    original = make_article(authors=[reporter], published_at=NOON - dt.timedelta(hours=1))
    make_article(authors=[reprinted], duplicate_of=original, published_at=NOON)
    # A copy bylined to the original's author too: it adds nothing to their count or date.
    make_article(authors=[reporter], duplicate_of=original, published_at=NOON)
    (item,) = get(client, "/api/authors")["items"]
    assert item["id"] == reporter.pk and item["outlet"]["slug"] == "wire"
    assert item["article_count"] == 1
    assert dt.datetime.fromisoformat(item["latest_article_at"]) == NOON - dt.timedelta(hours=1)
    # The copies are still the authors' articles, where their articles are listed.
    copies = get(client, f"/api/authors/{reprinted.pk}/articles")["items"]
    assert [a["duplicate_of"] for a in copies] == [original.pk]


def test_it_counts_each_article_once_for_each_of_its_authors(client: Client) -> None:
    ann, bob = make_author("Ann"), make_author("Bob")
    make_article(authors=[ann, bob])
    make_article(authors=[bob, ann])
    make_article(authors=[bob])
    counts = {i["name"]: i["article_count"] for i in get(client, "/api/authors")["items"]}
    assert counts == {"Ann": 2, "Bob": 3}


def test_it_filters_by_outlet_slug(client: Client) -> None:
    herald, post = make_outlet(slug="herald"), make_outlet(slug="post")
    with_articles("Ann", outlet=herald)
    with_articles("Bob", outlet=post)
    with_articles("Cy")
    assert names(client, "outlet=herald") == ["Ann"]
    body = get(client, "/api/authors?outlet=nope")
    assert body["items"] == [] and body["count"] == 0


def test_it_finds_names_containing_the_query_in_any_case(client: Client) -> None:
    for name in ["Ann Lee", "Lee Park", "Bob Smith", "Ashleen Moss"]:
        with_articles(name)
    assert names(client, "q=lee") == ["Ann Lee", "Ashleen Moss", "Lee Park"]
    assert names(client, "q=LEE%20P") == ["Lee Park"]
    assert names(client, "q=nobody") == []


def test_it_treats_a_blank_query_as_no_filter(client: Client) -> None:
    with_articles("Ann")
    with_articles("Bob")
    assert names(client, "q=") == names(client, "q=%20%20") == ["Ann", "Bob"]
    # Spaces around the words are not part of the query.
    assert names(client, "q=%20ann%20") == ["Ann"]


def test_it_combines_query_outlet_and_sort(client: Client) -> None:
    herald = make_outlet(slug="herald")
    with_articles("Ann Lee", 1, outlet=herald)
    with_articles("Lee Park", 3, outlet=herald)
    with_articles("Leena Ray", 5)
    assert names(client, "q=lee&outlet=herald&sort=articles") == ["Lee Park", "Ann Lee"]


HOSTILE_NAMES = [
    "100% Real",
    "snake_case",
    "O'Brien",
    'Say "Hi"',
    "Back\\slash",
    "Zoë Ünal",
    "Mr. 渡辺",
    "Plain Name",
]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("%", ["100% Real"]),
        ("_", ["snake_case"]),
        ("%%", []),
        ("e_c", ["snake_case"]),  # "_" is not "any one character": "Plain Name" is left
        ("'", ["O'Brien"]),
        ("' OR '1'='1", []),
        ("'; DROP TABLE articles_author; --", []),
        ('"', ['Say "Hi"']),
        ("\\", ["Back\\slash"]),
        ("\\%", []),
        ("[a-z]", []),
        ("*", []),
        ("zoë", ["Zoë Ünal"]),
        ("渡辺", ["Mr. 渡辺"]),
        ("\N{PILE OF POO}", []),
        ("\ufffd", []),
    ],
)
def test_it_matches_hostile_queries_as_plain_text(
    client: Client, query: str, found: list[str]
) -> None:
    for name in HOSTILE_NAMES:
        with_articles(name)
    body = get(client, "/api/authors?" + urlencode({"q": query}))
    assert [item["name"] for item in body["items"]] == found
    assert body["count"] == len(found)
    assert Author.objects.count() == len(HOSTILE_NAMES)


def test_it_folds_the_case_of_any_letter(client: Client) -> None:
    with_articles("Zoë Ünal")
    with_articles("Ivan Ørsted")
    assert names(client, "q=ZOË") == names(client, "q=ünal") == ["Zoë Ünal"]
    assert names(client, "q=ØRST") == ["Ivan Ørsted"]
    assert names(client, "q=%C3%A9") == []  # é is in neither name


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * (MAX_NAME_QUERY + 1)},
        {"q": "é" * (MAX_NAME_QUERY + 1)},
        {"q": "ann\nlee"},
        {"q": "\x1b[31m"},
        {"outlet": "x" * 201},
        {"sort": "popularity"},
        {"sort": "-name"},
    ],
)
def test_it_refuses_bad_filters_with_422(client: Client, query: dict[str, str]) -> None:
    # A NUL never gets this far: the site answers 400 to it (test_articles.py).
    with_articles("Ann")
    body = get(client, "/api/authors?" + urlencode(query), status=422)
    (error,) = body["detail"]
    assert error["loc"][-1] == next(iter(query))


def test_it_accepts_a_query_of_the_longest_length(client: Client) -> None:
    with_articles("x" * MAX_NAME_QUERY)
    assert names(client, "q=" + "X" * MAX_NAME_QUERY) == ["x" * MAX_NAME_QUERY]


def test_it_sorts_by_name_by_default_then_id(client: Client) -> None:
    first_bob = with_articles("Bob")
    with_articles("Ann")
    second_bob = with_articles("Bob")
    items = get(client, "/api/authors")["items"]
    assert [(i["name"], i["id"]) for i in items] == [
        ("Ann", items[0]["id"]),
        ("Bob", first_bob.pk),
        ("Bob", second_bob.pk),
    ]
    assert names(client, "sort=name") == ["Ann", "Bob", "Bob"]


def test_it_sorts_by_most_recent_article(client: Client) -> None:
    for name, hours_ago in [("Ann", 5), ("Bob", 1), ("Cy", 3), ("Dee", 1)]:
        author = make_author(name)
        make_article(authors=[author], published_at=NOON - dt.timedelta(hours=hours_ago))
        make_article(authors=[author], published_at=NOON - dt.timedelta(days=9))
    # Bob and Dee tie on their newest article: by name.
    assert names(client, "sort=recent") == ["Bob", "Dee", "Cy", "Ann"]


def test_it_sorts_by_article_count(client: Client) -> None:
    for name, count in [("Ann", 1), ("Bob", 3), ("Cy", 2), ("Dee", 3)]:
        with_articles(name, count)
    assert names(client, "sort=articles") == ["Bob", "Dee", "Cy", "Ann"]


def test_it_pages_by_limit_and_offset_keeping_the_filters(client: Client) -> None:
    for n in range(5):
        with_articles(f"Lee {n}", n + 1)
    with_articles("Other")
    first = get(client, "/api/authors?q=lee&sort=articles&limit=2")
    assert first["count"] == 5 and first["limit"] == 2 and first["offset"] == 0
    assert [i["name"] for i in first["items"]] == ["Lee 4", "Lee 3"]
    query = parse_qs(urlsplit(first["next"]).query)
    assert query == {"q": ["lee"], "sort": ["articles"], "limit": ["2"], "offset": ["2"]}
    second = get(client, first["next"])
    third = get(client, second["next"])
    assert [i["name"] for i in second["items"] + third["items"]] == ["Lee 2", "Lee 1", "Lee 0"]
    assert third["next"] is None


def test_it_answers_an_empty_page_with_the_count_past_the_end(client: Client) -> None:
    for name in ["Ann", "Bob", "Cy"]:
        with_articles(name)
    body = get(client, "/api/authors?offset=3")
    assert body["items"] == [] and body["count"] == 3 and body["next"] is None
    assert get(client, "/api/authors?offset=500&limit=1")["count"] == 3
    assert get(client, "/api/authors?limit=3")["next"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("limit=0", 422),
        ("limit=-1", 422),
        (f"limit={MAX_LIMIT}", 200),
        (f"limit={MAX_LIMIT + 1}", 422),
        ("offset=-1", 422),
        ("limit=ten", 422),
    ],
)
def test_it_checks_page_parameters(client: Client, query: str, status: int) -> None:
    with_articles("Ann")
    body = get(client, f"/api/authors?{query}", status=status)
    assert ("detail" in body) == (status != 200)


@pytest.mark.parametrize("sort", ["name", "recent", "articles"])
def test_it_reads_a_page_of_authors_in_two_queries_whatever_its_length(
    client: Client, django_assert_num_queries: Any, sort: str
) -> None:
    outlets = [make_outlet(), make_outlet(), None]
    authors = [make_author(outlet=outlets[n % 3]) for n in range(30)]
    for n in range(10):
        make_article(authors=authors[n::10])
    # The page (authors, outlets, counts in one grouped query) and the count.
    with django_assert_num_queries(2):
        assert len(get(client, f"/api/authors?sort={sort}&limit=3")["items"]) == 3
    with django_assert_num_queries(2):
        assert len(get(client, f"/api/authors?sort={sort}&limit=100")["items"]) == 30
