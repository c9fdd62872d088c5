from __future__ import annotations

import json
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from newsdesk.sample.catalog import Catalog
from newsdesk.sample.server import RunningOutlet, SampleSites

from .conftest import NOW


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _entries(url: str) -> list[dict[str, Any]]:
    """Feed entries as (path, title, published) dicts, whatever the feed kind."""
    body = _get(url)
    if url.endswith(".json"):
        items = json.loads(body)["items"]
        return [
            {
                "path": urlsplit(i["url"]).path,
                "link": i["url"],
                "title": i["title"],
                "published": datetime.fromisoformat(i["date_published"]),
                "authors": [a["name"] for a in i["authors"]],
                "label": i["tags"][0],
                "summary": i["summary"],
            }
            for i in items
        ]
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [
        {
            "path": urlsplit(e.link).path,
            "link": e.link,
            "title": e.title,
            "published": datetime(*e.published_parsed[:6]),
            "authors": [a.get("name", "") for a in e.get("authors", [])],
            "label": e.tags[0].term,
            "summary": e.summary,
        }
        for e in parsed.entries
    ]


def _running(sites: SampleSites, slug: str) -> RunningOutlet:
    return sites.outlet(slug)


def test_it_serves_every_outlet_feed_listing_every_article(
    sites: SampleSites, catalog: Catalog
) -> None:
    for outlet in catalog.outlets:
        entries = _entries(_running(sites, outlet.slug).feed_urls[0])
        by_path = {entry["path"]: entry for entry in entries}
        for article in catalog.articles_for(outlet.slug):
            entry = by_path[article.path]
            assert entry["title"] == article.title
            assert entry["label"] == article.section_label
            assert entry["summary"] == article.summary
            assert entry["authors"]


def test_feed_dates_match_article_ages(sites: SampleSites, catalog: Catalog) -> None:
    for outlet in catalog.outlets:
        entries = _entries(_running(sites, outlet.slug).feed_urls[0])
        by_path = {entry["path"]: entry for entry in entries}
        for article in catalog.articles_for(outlet.slug):
            published = by_path[article.path]["published"]
            expected = article.published_at(NOW)
            if published.tzinfo is None:  # feedparser normalises to naive UTC
                expected = expected.replace(tzinfo=None)
            assert published == expected, article.key


def test_feed_kinds_are_rss_atom_and_json_feed(sites: SampleSites) -> None:
    rss = _get(sites.outlets[0].feed_urls[0])
    atom = _get(sites.outlets[1].feed_urls[0])
    document = json.loads(_get(sites.outlets[2].feed_urls[0]))
    assert b'<rss version="2.0"' in rss
    assert b'<feed xmlns="http://www.w3.org/2005/Atom"' in atom
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert feedparser.parse(atom).version == "atom10"


def test_rss_carries_multiple_authors_as_separate_creators(
    sites: SampleSites, catalog: Catalog
) -> None:
    entries = _entries(sites.outlet("merrowgate-herald").feed_urls[0])
    three = [e for e in entries if len(e["authors"]) == 3]
    assert three, "the Herald's three-author article lists each author"


def test_some_feed_links_carry_tracking_parameters(sites: SampleSites) -> None:
    herald = [e["link"] for e in _entries(sites.outlet("merrowgate-herald").feed_urls[0])]
    post = [e["link"] for e in _entries(sites.outlet("sellen-valley-post").feed_urls[0])]
    assert 0 < sum("utm_source=rss" in link for link in herald) < len(herald)
    assert all("utm_source=rss&utm_medium=feed" in link for link in post)


def test_the_section_feed_shares_items_with_the_main_feed(
    sites: SampleSites, catalog: Catalog
) -> None:
    post = sites.outlet("sellen-valley-post")
    main = {e["path"] for e in _entries(post.feed_urls[0])}
    money = {e["path"] for e in _entries(post.feed_urls[1])}
    expected = {
        a.path for a in catalog.articles_for("sellen-valley-post") if a.section_key == "business"
    }
    assert money == expected and len(money) >= 2
    assert money < main


def test_broken_items_sit_only_in_the_herald_main_feed(
    sites: SampleSites, catalog: Catalog
) -> None:
    herald = catalog.outlet("merrowgate-herald")
    paths = {e["path"] for e in _entries(sites.outlet(herald.slug).feed_urls[0])}
    assert {b.path for b in herald.broken_items} <= paths
    assert "/slow/overnight-briefing" not in paths, "no timeout item without the fault"
