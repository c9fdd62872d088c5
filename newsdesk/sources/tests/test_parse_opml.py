"""parse_opml / build_opml: folders, escaping, round trips, hostile input."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.sources.parse import OpmlFeed, OpmlParseError, build_opml, parse_opml

DATA = Path(__file__).parent / "data"


def test_it_turns_nested_folders_into_categories():
    parsed = parse_opml((DATA / "subscriptions.opml").read_bytes())
    by_url = {feed.xml_url: feed for feed in parsed.outlines}
    world = by_url["https://www.dailyexample.com/world/rss.xml"]
    assert world.category == "News"
    assert world.title == "The Daily Example — World"
    assert world.html_url == "https://www.dailyexample.com/world"
    assert by_url["https://gazette.example.org/rss.xml"].category == "News/Local"
    assert by_url["https://blog.example.com/atom.xml"].html_url == "https://blog.example.com/"
    assert by_url["http://notes.example.io/feed.json"].category == "Tech"  # feed:// accepted
    assert by_url["https://science.example.net/rss"].category == "Science/Space"


def test_it_skips_unusable_and_duplicate_outlines():
    parsed = parse_opml((DATA / "subscriptions.opml").read_bytes())
    assert len(parsed.outlines) == 5
    assert any("skipped" in p for p in parsed.problems)
    assert any("more than once" in p for p in parsed.problems)


def test_it_builds_valid_opml_that_round_trips():
    feeds = [
        OpmlFeed(
            "https://a.example/feed?x=1&y=2", "https://a.example/", 'A & B <"quoted">', "News"
        ),
        OpmlFeed("https://b.example/rss", None, None, "News/Local"),
        OpmlFeed("https://c.example/atom.xml", None, "Top level", None),
    ]
    document = build_opml(feeds, "Export & backup", now=datetime(2024, 5, 6, tzinfo=UTC))
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b'version="2.0"' in document
    assert b"&amp;" in document and b'<"quoted">' not in document
    assert b"Mon, 06 May 2024 00:00:00 GMT" in document
    assert parse_opml(document).outlines == tuple(feeds)


def test_it_strips_characters_xml_cannot_carry():
    document = build_opml([OpmlFeed("https://a.example/feed", title="bell\x07 char")], "t\x00")
    assert parse_opml(document).outlines[0].title == "bell char"


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/"),
    max_size=30,
).map(lambda s: " ".join(s.split()))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            OpmlFeed,
            st.integers(0, 10**6).map(lambda n: f"https://feeds.example/{n}.xml"),
            st.none() | st.just("https://site.example/"),
            _text.map(lambda s: s or None),
            st.lists(_text.filter(bool), max_size=3).map(lambda p: "/".join(p) or None),
        ),
        max_size=8,
        unique_by=lambda feed: feed.xml_url,
    )
)
def test_build_and_parse_round_trip(feeds):
    # Feeds come back grouped by folder, so the order may change; nothing else may.
    parsed = parse_opml(build_opml(feeds, "Round trip")).outlines
    assert sorted(parsed, key=lambda f: f.xml_url) == sorted(feeds, key=lambda f: f.xml_url)


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body/></html>", b"<opml version='2.0'><head/></opml>", b"\xff\xfe\x00"],
)
def test_it_refuses_what_is_not_opml(body):
    with pytest.raises(OpmlParseError):
        parse_opml(body)


def test_it_refuses_external_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/f"/>'
        "</body></opml>"
    ).encode()
    with pytest.raises(OpmlParseError, match="refuse") as caught:
        parse_opml(body)
    assert "TOP-SECRET" not in str(caught.value)


def test_it_refuses_billion_laughs_quickly():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    body = (
        f'<!DOCTYPE opml [{entities}]><opml version="2.0"><body>'
        '<outline text="&lol9;" xmlUrl="https://a.example/f"/></body></opml>'
    ).encode()
    started = time.perf_counter()
    with pytest.raises(OpmlParseError):
        parse_opml(body)
    assert time.perf_counter() - started < 1


def test_it_reads_malformed_opml_as_far_as_possible():
    body = (
        b'<opml version="1.0"><body><outline text="Fish & Chips" xmlUrl="https://a.example/f"/>'
        b'<outline text="B" xmlUrl="https://b.example/f">'
    )
    parsed = parse_opml(body)
    assert [f.xml_url for f in parsed.outlines] == ["https://a.example/f", "https://b.example/f"]
    assert any("not well-formed" in p for p in parsed.problems)


def test_it_survives_references_to_forbidden_characters():
    body = b'<opml><body><outline text="&#xD800;" xmlUrl="https://a.example/f"/></body></opml>'
    assert parse_opml(body).outlines[0].title == "\ufffd"
