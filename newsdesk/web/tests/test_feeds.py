from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.web.tests.factories import make_article, make_author, make_outlet, make_topic

pytestmark = pytest.mark.django_db


def parse(response: Any) -> Any:
    return feedparser.parse(response.content)


@pytest.fixture
def world() -> dict[str, object]:
    outlet = make_outlet("Valdoria Herald", slug="herald")
    ann = make_author("Ann Ames", outlet=outlet)
    bob = make_author("Bob Burr", outlet=outlet)
    topic = make_topic("EU trade", slug="eu-trade", description="Trade news.")
    now = timezone.now()
    older = make_article(
        "Quota talks",
        outlet=outlet,
        topics=[topic],
        authors=[ann],
        snippet="Talks began.",
        published_at=now - dt.timedelta(hours=3),
    )
    newer = make_article(
        "Tariffs lifted",
        outlet=outlet,
        topics=[topic],
        authors=[ann, bob],
        snippet="Brussels agreed.",
        published_at=now,
    )
    make_article("Elsewhere", topics=[make_topic()])
    return {"outlet": outlet, "ann": ann, "topic": topic, "older": older, "newer": newer}


FEEDS = [
    ("web:topic_rss", ["eu-trade"], "rss20"),
    ("web:topic_atom", ["eu-trade"], "atom10"),
    ("web:outlet_rss", ["herald"], "rss20"),
    ("web:outlet_atom", ["herald"], "atom10"),
]


@pytest.mark.parametrize(("name", "args", "version"), FEEDS)
def test_it_serves_feeds_that_parse(
    client: Client, world: dict[str, object], name: str, args: list[str], version: str
) -> None:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    parsed = parse(response)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    assert [entry.title for entry in parsed.entries] == ["Tariffs lifted", "Quota talks"]
    newer = world["newer"]
    assert parsed.entries[0].link == f"http://testserver{newer.get_absolute_url()}"  # type: ignore[attr-defined]
    assert parsed.entries[0].summary == "Brussels agreed."


def test_it_names_authors_and_topics_in_items(client: Client, world: dict[str, object]) -> None:
    parsed = parse(client.get(reverse("web:topic_atom", args=["eu-trade"])))
    assert parsed.feed.title == "EU trade — Newsdesk"
    assert parsed.feed.subtitle == "Trade news."
    assert parsed.entries[0].author == "Ann Ames, Bob Burr"
    assert [tag.term for tag in parsed.entries[0].tags] == ["EU trade"]


def test_it_serves_an_author_feed(client: Client, world: dict[str, object]) -> None:
    ann = world["ann"]
    url = reverse("web:author_rss", args=[ann.pk, ann.slug])  # type: ignore[attr-defined]
    parsed = parse(client.get(url))
    assert not parsed.bozo
    assert parsed.feed.title == "Ann Ames — Newsdesk"
    assert len(parsed.entries) == 2


@pytest.mark.parametrize(
    ("name", "args"), [("web:topic_json", ["eu-trade"]), ("web:outlet_json", ["herald"])]
)
def test_it_serves_json_feed_with_its_media_type(
    client: Client, world: dict[str, object], name: str, args: list[str]
) -> None:
    # feedparser 6.0 reads no JSON Feed, so check the JSON Feed 1.1 required fields here.
    response = client.get(reverse(name, args=args))
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    document = json.loads(response.content)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"].endswith(" — Newsdesk")
    assert [item["title"] for item in document["items"]] == ["Tariffs lifted", "Quota talks"]
    assert all(isinstance(item["id"], str) and item["id"] for item in document["items"])
    assert document["items"][0]["content_html"] == "Brussels agreed."
    assert document["items"][0]["authors"] == [{"name": "Ann Ames, Bob Burr"}]
    assert document["home_page_url"].startswith("http://testserver/")


def test_it_returns_404_for_feeds_of_unknown_things(client: Client) -> None:
    assert client.get(reverse("web:topic_rss", args=["nope"])).status_code == 404
    assert client.get(reverse("web:outlet_atom", args=["nope"])).status_code == 404
    assert client.get(reverse("web:author_json", args=[9999, "nobody"])).status_code == 404


def test_it_escapes_markup_in_feeds(client: Client) -> None:
    outlet = make_outlet("<script>alert('outlet')</script>", slug="evil")
    author = make_author("<script>alert('author')</script>", slug="evil-author")
    make_article(
        "<script>alert('title')</script>",
        outlet=outlet,
        authors=[author],
        snippet="<img src=x onerror=alert(1)>",
    )
    for name in ("web:outlet_rss", "web:outlet_atom", "web:outlet_json"):
        raw = client.get(reverse(name, args=["evil"])).content.decode()
        assert "<script>" not in raw
        assert "<img" not in raw
    document = json.loads(client.get(reverse("web:outlet_json", args=["evil"])).content)
    assert document["items"][0]["title"] == "<script>alert('title')</script>"
    assert document["items"][0]["content_html"] == "&lt;img src=x onerror=alert(1)&gt;"
    for name in ("web:outlet_rss", "web:outlet_atom"):
        parsed = parse(client.get(reverse(name, args=["evil"])))
        assert not parsed.bozo
        # Readers render descriptions as HTML: the snippet must arrive as text.
        assert "&lt;img" in parsed.entries[0].summary
        assert parsed.entries[0].title == "<script>alert('title')</script>"


def test_it_reads_a_feed_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    topic = make_topic(slug="busy")
    authors = [make_author() for _ in range(2)]
    others = [make_topic() for _ in range(2)]
    for i in range(30):
        make_article(f"Story {i}", topics=[topic, *others], outlet=make_outlet(), authors=authors)
    # topic + items + bylines + topics
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        response = client.get(reverse("web:topic_rss", args=["busy"]))
    assert len(parse(response).entries) == 30


def test_it_answers_a_repeat_poll_with_not_modified(
    client: Client, world: dict[str, object]
) -> None:
    url = reverse("web:topic_rss", args=["eu-trade"])
    first = client.get(url)
    assert first["ETag"]
    assert "max-age=300" in first["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def not_xml() -> str:
    """C0 controls and the two non-characters XML 1.0 forbids even as character
    references. NUL only where the database stores it: PostgreSQL refuses it in any text
    column (ingest drops it before storing, see articles.extract.dom.printable)."""
    chars = "\x01\x08\x0b\x0c\x1f\ufffe\uffff"
    return chars if connection.vendor == "postgresql" else "\x00" + chars


@pytest.mark.parametrize(
    "name", ["web:topic_rss", "web:topic_atom", "web:outlet_rss", "web:outlet_atom"]
)
def test_it_keeps_feeds_well_formed_when_texts_hold_characters_xml_forbids(
    client: Client, name: str
) -> None:
    not_xml_chars = not_xml()
    outlet = make_outlet(f"Herald{not_xml_chars}", slug="herald")
    topic = make_topic(f"Trade{not_xml_chars}", slug="trade")
    author = make_author(f"Ann{not_xml_chars} Ames", slug="ann")
    make_article(
        f"Tariffs{not_xml_chars} lifted",
        outlet=outlet,
        topics=[topic],
        authors=[author],
        snippet=f"Brussels{not_xml_chars} agreed.",
    )
    slug = "trade" if name.startswith("web:topic") else "herald"
    response = client.get(reverse(name, args=[slug]))
    assert response.status_code == 200
    # A strict XML parser (feedparser would recover from broken XML silently).
    root = ElementTree.fromstring(response.content)
    text = "".join(root.itertext())
    assert "Tariffs lifted" in text
    assert "Brussels agreed." in text
    assert "Ann Ames" in text


def test_it_keeps_control_characters_out_of_the_author_feed(client: Client) -> None:
    not_xml_chars = not_xml()
    author = make_author(f"Ann{not_xml_chars} Ames", slug="ann")
    make_article(f"Tariffs{not_xml_chars} lifted", authors=[author])
    response = client.get(reverse("web:author_rss", args=[author.pk, "ann"]))
    assert response.status_code == 200
    assert "Tariffs lifted" in "".join(ElementTree.fromstring(response.content).itertext())
