"""parse_feed: RSS 0.91/1.0/2.0, Atom, JSON Feed and the broken feeds of the real world."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.sources.parse import FeedParseError, parse_feed

DATA = Path(__file__).parent / "data"
NOW = datetime(2024, 5, 7, 12, 0, tzinfo=UTC)


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def rss(items: str, *, encoding: str = "utf-8", prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>{prolog}'
        '<rss version="2.0"><channel><title>Test feed</title>'
        f"<link>https://news.example.com/</link>{items}</channel></rss>"
    )


def item(n: int, *, link: str | None = None, guid: str | None = None, date: str = "") -> str:
    link_xml = f"<link>{link}</link>" if link is not None else ""
    guid_xml = f"<guid>{guid}</guid>" if guid is not None else ""
    date_xml = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>Story {n}</title>{link_xml}{guid_xml}{date_xml}</item>"


# --- the samples -----------------------------------------------------------------


def test_it_reads_rss_091():
    feed = parse_feed(load("rss091.xml"), "https://gazette.example.org/rss.xml", now=NOW)
    assert feed.kind == "rss"
    assert feed.title == "Harbour Town Gazette"
    assert feed.site_url == "https://gazette.example.org/"
    assert [e.title for e in feed.items] == [
        "Ferry timetable changes from Monday",
        "Lifeboat crew called out twice in one night",
    ]
    assert feed.items[0].published is None


def test_it_reads_rss_10_rdf_with_dublin_core():
    feed = parse_feed(load("rss10.rdf"), "https://science.example.net/rss", now=NOW)
    assert feed.kind == "rdf"
    first = feed.items[0]
    assert first.url == "https://science.example.net/2024/05/06/comet-brightens-unexpectedly"
    assert first.published == datetime(2024, 5, 6, 19, 30, tzinfo=UTC)
    assert first.authors == ("Ada Lindqvist",)
    assert first.categories == ("Astronomy",)
    assert feed.items[1].authors == ("Tomás Ruiz",)


def test_it_reads_rss_20_with_media_and_sanitises_text():
    feed = parse_feed(load("rss20.xml"), "https://www.dailyexample.com/world/rss.xml", now=NOW)
    assert feed.kind == "rss"
    assert feed.problems == ()
    climate, markets = feed.items
    assert climate.title == "Leaders agree on new climate fund"
    # tracking parameters are stripped from stored links
    assert climate.url == "https://www.dailyexample.com/world/2024/05/06/leaders-agree-climate-fund"
    assert climate.guid == "dailyexample-7781234"
    assert climate.summary == "After two weeks of talks, delegates agreed a fund."
    assert "alert" not in climate.summary
    assert climate.published == datetime(2024, 5, 6, 8, 15, tzinfo=UTC)
    assert climate.published.tzinfo is UTC
    assert climate.updated is None
    assert climate.categories == ("Climate", "Diplomacy")
    assert climate.authors == ("Maria Okafor",)
    assert climate.image == "https://img.dailyexample.com/2024/05/climate-fund.jpg"
    assert markets.authors == ("Sam Lee",)
    assert markets.image == "https://img.dailyexample.com/2024/05/markets.png"


def test_it_reads_atom_and_resolves_links_against_xml_base():
    feed = parse_feed(load("atom.xml"), "https://blog.example.com/atom.xml", now=NOW)
    assert feed.kind == "atom"
    assert feed.site_url == "https://blog.example.com/"
    scaling, postmortem = feed.items
    assert scaling.url == "https://blog.example.com/posts/2024/scaling-our-queue-workers"
    assert scaling.title == "Scaling our queue workers"
    assert scaling.guid == "tag:blog.example.com,2024:post-41"
    assert scaling.published == datetime(2024, 5, 6, 13, 30, tzinfo=UTC)
    assert scaling.updated == datetime(2024, 5, 6, 15, 0, tzinfo=UTC)
    assert scaling.authors == ("Priya Raman", "Jonas Weber")
    assert scaling.summary == "How we went from 3 to 300 workers."
    assert postmortem.summary == "What went wrong, and what we changed."
    assert postmortem.published == postmortem.updated  # only <updated> given


def test_it_reads_json_feed_10():
    feed = parse_feed(load("jsonfeed10.json"), "https://notes.example.io/feed.json", now=NOW)
    assert feed.kind == "jsonfeed"
    assert feed.title == "Tiny Tech Notes"
    rust, postgres = feed.items
    assert rust.guid == "1042"  # a numeric 1.0 id becomes a string
    assert rust.authors == ("Kim Park",)
    assert rust.summary == "Use thiserror for libraries."
    assert rust.published == datetime(2024, 5, 4, 15, 0, tzinfo=UTC)
    assert postgres.url == "https://notes.example.io/2024/05/why-we-moved-to-postgres"
    assert postgres.image == "https://notes.example.io/images/postgres.png"


def test_it_reads_json_feed_11():
    body = load("jsonfeed11.json")
    feed = parse_feed(body, "https://valleyweekly.example.com/feed.json", "application/feed+json")
    board, bridge = feed.items
    assert board.summary == "The year will start a week earlier."
    assert board.authors == ("Rosa Díaz",)
    assert board.categories == ("Education", "Schools")
    assert board.updated == datetime(2024, 5, 6, 19, 30, tzinfo=UTC)
    assert bridge.url == "https://www.othernews.example/story/bridge-reopens-after-repairs"
    assert bridge.guid == "vw-2024-0099"


def test_it_detects_json_feed_without_a_content_type():
    body = load("jsonfeed11.json")
    assert parse_feed(body, "https://valleyweekly.example.com/feed.json").kind == "jsonfeed"


def test_it_refuses_json_that_is_not_a_json_feed():
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": "world"}', "https://x.example/feed", "application/json")
    with pytest.raises(FeedParseError, match="not valid JSON"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", ', "https://x.example/f")


def test_it_skips_malformed_json_feed_items():
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": ["not", "a", "string"],
            "items": [
                "nonsense",
                {"id": {"x": 1}, "url": 12},
                {"id": "a", "url": "https://x.example/ok-story", "tags": "x", "authors": 3},
            ],
        }
    ).encode()
    feed = parse_feed(body, "https://x.example/feed.json")
    assert feed.title == ""
    assert [entry.url for entry in feed.items] == ["https://x.example/ok-story"]
    assert len(feed.problems) == 2


# --- the rules ----------------------------------------------------------------------


def test_it_collapses_duplicate_guids():
    body = rss(
        item(1, link="https://news.example.com/a/one", guid="g-1")
        + item(2, link="https://news.example.com/a/two", guid="g-1")
        + item(3, link="https://news.example.com/a/one?utm_source=x", guid="g-3")
    )
    feed = parse_feed(body.encode(), "https://news.example.com/rss", now=NOW)
    assert [entry.title for entry in feed.items] == ["Story 1"]
    assert sum("repeats an earlier entry" in p for p in feed.problems) == 2


def test_it_uses_a_url_guid_when_the_link_is_missing():
    body = rss(item(1, guid="https://news.example.com/2024/05/guid-is-the-link"))
    feed = parse_feed(body.encode(), "https://news.example.com/rss", now=NOW)
    assert feed.items[0].url == "https://news.example.com/2024/05/guid-is-the-link"


def test_it_skips_entries_without_link_or_url_guid():
    body = rss(item(1, guid="tag-123") + item(2) + item(3, link="javascript:alert(1)"))
    feed = parse_feed(body.encode(), "https://news.example.com/rss", now=NOW)
    assert feed.items == ()
    assert sum("no web link" in p for p in feed.problems) == 3


def test_it_resolves_relative_links_against_the_feed_url():
    body = rss(item(1, link="/2024/05/relative-story") + item(2, link="sibling-story"))
    feed = parse_feed(body.encode(), "https://news.example.com/feeds/main.xml", now=NOW)
    assert [entry.url for entry in feed.items] == [
        "https://news.example.com/2024/05/relative-story",
        "https://news.example.com/feeds/sibling-story",
    ]


def test_it_does_not_turn_a_relative_guid_into_a_link():
    # feedparser would resolve a permalink <guid> against the base; we must not.
    feed = parse_feed(rss(item(1, guid="12345")).encode(), "https://news.example.com/rss")
    assert feed.items == ()


def test_it_parses_odd_date_formats():
    dates = [
        "Mon, 06 May 2024 10:00:00 GMT",
        "2024-05-06T10:00:00Z",
        "2024-05-06 10:00:00",
        "Mon, 6 May 2024 12:00:00 +0200 (CEST)",
        "6 May 2024",
        "May 6, 2024",
    ]
    items = "".join(
        item(n, link=f"https://news.example.com/s/{n}", date=date) for n, date in enumerate(dates)
    )
    feed = parse_feed(rss(items).encode(), "https://news.example.com/rss", now=NOW)
    published = [entry.published for entry in feed.items]
    assert published[:4] == [datetime(2024, 5, 6, 10, 0, tzinfo=UTC)] * 4
    assert published[4:] == [datetime(2024, 5, 6, tzinfo=UTC)] * 2


def test_it_records_unreadable_dates():
    body = rss(item(1, link="https://news.example.com/s/1", date="sometime last week"))
    feed = parse_feed(body.encode(), "https://news.example.com/rss", now=NOW)
    assert feed.items[0].published is None
    assert any("could not read the published date" in p for p in feed.problems)


def test_it_clamps_dates_in_the_future():
    items = item(1, link="https://news.example.com/s/1", date="Fri, 01 Jan 2100 00:00:00 GMT")
    items += item(2, link="https://news.example.com/s/2", date="Wed, 08 May 2024 06:00:00 GMT")
    feed = parse_feed(rss(items).encode(), "https://news.example.com/rss", now=NOW)
    assert feed.items[0].published is None
    assert any("in the future" in p for p in feed.problems)
    assert feed.items[1].published == datetime(2024, 5, 8, 6, 0, tzinfo=UTC)  # within a day


def test_it_keeps_only_http_links():
    items = item(1, link="ftp://news.example.com/file") + item(2, link="data:text/html,hi")
    feed = parse_feed(rss(items).encode(), "https://news.example.com/rss", now=NOW)
    assert feed.items == ()


# --- broken input ---------------------------------------------------------------------


def test_it_reads_malformed_xml_as_far_as_possible():
    body = rss(
        item(1, link="https://news.example.com/s/1") + "<item><title>Fish & chips</title>"
        "<link>https://news.example.com/s/2</link></item><item><title>unclosed"
    )
    feed = parse_feed(body.encode(), "https://news.example.com/rss", now=NOW)
    assert [entry.url for entry in feed.items][:2] == [
        "https://news.example.com/s/1",
        "https://news.example.com/s/2",
    ]
    assert feed.items[1].title == "Fish & chips"
    assert any("not well-formed" in p for p in feed.problems)


def test_it_refuses_xml_that_yields_nothing():
    with pytest.raises(FeedParseError):
        parse_feed(b"<<<>>> not xml at all", "https://news.example.com/rss")
    with pytest.raises(FeedParseError, match="not an RSS, Atom or JSON feed"):
        parse_feed(b"<?xml version='1.0'?><note><to>Tove</to></note>", "https://x.example/")


def test_it_reads_latin1_declared_as_utf8():
    body = rss(item(1, link="https://news.example.com/s/1")).replace("Story 1", "Café crème")
    feed = parse_feed(body.encode("latin-1"), "https://news.example.com/rss", now=NOW)
    assert feed.items[0].title == "Café crème"
    assert any("not valid utf-8" in p.lower() for p in feed.problems)


def test_it_reads_utf8_declared_as_latin1():
    body = rss(item(1, link="https://news.example.com/s/1"), encoding="ISO-8859-1")
    body = body.replace("Story 1", "Zürich – “quotes”")
    feed = parse_feed(body.encode("utf-8"), "https://news.example.com/rss", now=NOW)
    assert feed.items[0].title == "Zürich – “quotes”"


def test_it_reads_windows_1252_declared_as_iso_8859_1():
    body = rss(item(1, link="https://news.example.com/s/1"), encoding="ISO-8859-1")
    body = body.replace("Story 1", "It’s “smart”")
    feed = parse_feed(body.encode("cp1252"), "https://news.example.com/rss", now=NOW)
    assert feed.items[0].title == "It’s “smart”"


def test_it_reads_a_feed_without_any_declared_encoding():
    body = rss(item(1, link="https://news.example.com/s/1")).replace(' encoding="utf-8"', "")
    feed = parse_feed(body.replace("Story 1", "Ünïcode").encode(), "https://news.example.com/")
    assert feed.items[0].title == "Ünïcode"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-32"])
def test_it_handles_a_byte_order_mark(codec):
    body = ("\n\n" + rss(item(1, link="https://news.example.com/s/1"))).replace("Story 1", "Ça va")
    feed = parse_feed(body.encode(codec), "https://news.example.com/rss", now=NOW)
    assert feed.items[0].title == "Ça va"


def test_it_refuses_an_html_page():
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>"
    with pytest.raises(FeedParseError, match="this is an HTML page, not a feed"):
        parse_feed(page, "https://news.example.com/feed", "text/html; charset=utf-8")
    with pytest.raises(FeedParseError, match="this is an HTML page, not a feed"):
        parse_feed(b"\n<html lang='en'><body>x</body></html>", "https://news.example.com/")


def test_it_accepts_a_feed_served_as_text_html():
    body = rss(item(1, link="https://news.example.com/s/1")).encode()
    assert len(parse_feed(body, "https://news.example.com/rss", "text/html").items) == 1


@pytest.mark.parametrize("body", [b"", b"   \r\n\t"])
def test_it_refuses_an_empty_body(body):
    with pytest.raises(FeedParseError, match="empty"):
        parse_feed(body, "https://news.example.com/rss")


def test_feed_parse_error_is_a_value_error():
    assert issubclass(FeedParseError, ValueError)


def test_it_parses_a_feed_with_100000_items_quickly_and_caps_it():
    items = "".join(
        f"<item><title>S{n}</title><link>https://news.example.com/s/{n}</link></item>"
        for n in range(100_000)
    )
    body = rss(items).encode()
    started = time.perf_counter()
    feed = parse_feed(body, "https://news.example.com/rss", now=NOW)
    assert time.perf_counter() - started < 15
    assert len(feed.items) == 5_000
    assert feed.items[-1].url == "https://news.example.com/s/4999"
    assert any("more than 5000 entries" in p for p in feed.problems)
    small = parse_feed(body, "https://news.example.com/rss", max_items=10, now=NOW)
    assert len(small.items) == 10


def test_it_caps_json_feeds_too():
    items = [{"id": str(n), "url": f"https://x.example/s/{n}"} for n in range(50)]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    feed = parse_feed(body, "https://x.example/feed.json", max_items=20)
    assert len(feed.items) == 20
    assert any("more than 20 entries" in p for p in feed.problems)


# --- attacks -------------------------------------------------------------------------


def test_it_does_not_leak_files_through_external_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = rss(
        item(1, link="https://news.example.com/s/1").replace("Story 1", "x&xxe;y"),
        prolog=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>',
    )
    feed = parse_feed(body.encode(), "https://news.example.com/rss", now=NOW)
    assert "TOP-SECRET" not in repr(feed)
    assert any("entities" in p for p in feed.problems)


def test_it_does_not_read_a_file_whose_path_is_the_body(tmp_path):
    # feedparser opens byte strings that name a file; we hand it a stream.
    secret = tmp_path / "feed.xml"
    secret.write_bytes(rss(item(1, link="https://news.example.com/secret")).encode())
    with pytest.raises(FeedParseError):
        parse_feed(str(secret).encode(), "https://news.example.com/rss")


def test_billion_laughs_is_inert():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    body = rss(
        item(1, link="https://news.example.com/s/1").replace("Story 1", "&lol9;"),
        prolog=f"<!DOCTYPE lolz [{entities}]>",
    )
    tracemalloc.start()
    started = time.perf_counter()
    try:
        feed = parse_feed(body.encode(), "https://news.example.com/rss", now=NOW)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 50 * 1024 * 1024
    assert all(len(entry.title) < 100 for entry in feed.items)


def test_it_leaves_updated_empty_when_the_feed_has_no_update_date():
    feed = parse_feed(load("rss20.xml"), "https://www.dailyexample.com/world/rss.xml", now=NOW)
    assert feed.items[0].updated is None


def test_a_broken_iso_date_is_recorded_as_unreadable_not_guessed():
    # feedparser reads the first three as 2000-01-01, 2025-01-01 and 2026-07-21; the
    # others are read right (the last one by feedparser alone, and kept).
    dates = ["-0001-01-01", "2024-13-45", "-2024-05-06", "2024-05-06T10:00:00Z", "2024-5-6"]
    items = "".join(
        item(n, link=f"https://news.example.com/s/{n}", date=date) for n, date in enumerate(dates)
    )
    feed = parse_feed(rss(items).encode(), "https://news.example.com/rss", now=NOW)
    published = [entry.published for entry in feed.items]
    assert published == [
        None,
        None,
        None,
        datetime(2024, 5, 6, 10, 0, tzinfo=UTC),
        datetime(2024, 5, 6, tzinfo=UTC),
    ]
    unreadable = [p for p in feed.problems if "could not read the published date" in p]
    assert len(unreadable) == 3
