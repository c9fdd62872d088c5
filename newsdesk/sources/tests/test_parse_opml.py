"""parse_opml / build_opml: folders, kinds, escaping, round trips, hostile input."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from newsdesk.sources.parse import OpmlOutline, OpmlParseError, build_opml, parse_opml
from newsdesk.sources.parse.opml import FEED, INCLUDE, LINK, NAMESPACE, SECTION, SITEMAP

DATA = Path(__file__).parent / "data"


def test_it_turns_nested_folders_into_categories():
    parsed = parse_opml((DATA / "subscriptions.opml").read_bytes())
    by_url = {feed.url: feed for feed in parsed.outlines}
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
        OpmlOutline(
            "https://a.example/feed?x=1&y=2", "https://a.example/", 'A & B <"quoted">', "News"
        ),
        OpmlOutline("https://b.example/rss", None, None, "News/Local"),
        OpmlOutline("https://c.example/atom.xml", None, "Top level", None),
    ]
    document = build_opml(feeds, "Export & backup", now=datetime(2024, 5, 6, tzinfo=UTC))
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b'version="2.0"' in document
    assert b"&amp;" in document and b'<"quoted">' not in document
    assert b"Mon, 06 May 2024 00:00:00 GMT" in document
    assert parse_opml(document).outlines == tuple(feeds)


def test_it_strips_characters_xml_cannot_carry():
    document = build_opml([OpmlOutline("https://a.example/feed", title="bell\x07 char")], "t\x00")
    assert parse_opml(document).outlines[0].title == "bell char"


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/"),
    max_size=30,
).map(lambda s: " ".join(s.split()))
# Link patterns keep their spaces, quotes and brackets exactly; only what XML 1.0 can
# never carry (surrogates, most control characters, U+FFFE/U+FFFF) is left out.
_NOT_XML = "".join(chr(c) for c in range(32) if c not in (9, 10, 13)) + "\ufffe\uffff"
_pattern = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters=_NOT_XML),
    max_size=20,
)
_outline = st.builds(
    OpmlOutline,
    st.integers(0, 10**6).map(lambda n: f"https://feeds.example/{n}.xml"),
    html_url=st.none() | st.just("https://site.example/"),
    title=_text.map(lambda s: s or None),
    category=st.lists(_text.filter(bool), max_size=3).map(lambda p: "/".join(p) or None),
    kind=st.sampled_from([FEED, SITEMAP, SECTION, LINK, INCLUDE, "podcast"]),
    outlet=_text.map(lambda s: s or None),
    include=st.lists(_pattern, max_size=3).map(tuple),
    exclude=st.lists(_pattern, max_size=3).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_outline, max_size=8, unique_by=lambda outline: outline.url))
def test_build_and_parse_round_trip(outlines):
    # Outlines come back grouped by folder, so the order may change; nothing else may.
    document = build_opml(outlines, "Round trip")
    parsed = parse_opml(document)
    assert sorted(parsed.outlines, key=lambda o: o.url) == sorted(outlines, key=lambda o: o.url)
    assert parsed.problems == ()
    # A feed reader's view: only feeds carry an xmlUrl.
    with_xml_url = etree.fromstring(document).xpath("//outline[@xmlUrl]/@xmlUrl")
    assert sorted(with_xml_url) == sorted(o.url for o in outlines if o.kind == FEED)


def test_it_reads_our_sitemaps_and_section_pages_back_as_their_kinds():
    parsed = parse_opml((DATA / "newsdesk-export.opml").read_bytes())
    by_url = {outline.url: outline for outline in parsed.outlines}
    sitemap = by_url["https://gazette.example/news-sitemap.xml"]
    assert (sitemap.kind, sitemap.outlet, sitemap.title) == (SITEMAP, "Harbour Gazette", None)
    assert sitemap.html_url == "https://gazette.example/"  # newsdesk:home
    section = by_url["https://gazette.example/local/"]
    assert (section.kind, section.title) == (SECTION, "Local & harbour")
    assert section.include == (r"/local/20\d\d/",)
    assert section.exclude == ("live", "été")
    assert by_url["https://gazette.example/news.rss"].kind == FEED
    assert by_url["https://pods.example/show"].kind == "podcast"  # for the caller to refuse
    assert by_url["https://blog.example/about"].kind == LINK
    assert by_url["https://lists.example/more.opml"].kind == INCLUDE
    assert parsed.problems == ()


def test_it_writes_non_feeds_as_links_feed_readers_ignore():
    document = build_opml(
        [
            OpmlOutline("https://a.example/rss", "https://a.example/", "Feed", "A", FEED, "A"),
            OpmlOutline("https://a.example/sitemap.xml", "https://a.example/", None, "A", SITEMAP),
            OpmlOutline("https://a.example/world/", None, "World", None, SECTION, None, ("/w/",)),
        ],
        "Mixed",
    )
    root = etree.fromstring(document)
    assert root.nsmap == {"newsdesk": NAMESPACE}
    feed, sitemap, section = root.xpath("//outline[@type]")
    assert (feed.get("type"), feed.get("xmlUrl"), feed.get("htmlUrl")) == (
        "rss",
        "https://a.example/rss",
        "https://a.example/",
    )
    assert feed.get(f"{{{NAMESPACE}}}kind") is None  # a feed is a plain, standard outline
    for outline, kind in ((sitemap, "sitemap"), (section, "section")):
        assert outline.get("type") == "link"
        assert outline.get("xmlUrl") is None and outline.get("htmlUrl") is None
        assert outline.get(f"{{{NAMESPACE}}}kind") == kind
    assert sitemap.get("url") == "https://a.example/sitemap.xml"
    assert sitemap.get(f"{{{NAMESPACE}}}home") == "https://a.example/"
    assert section.get(f"{{{NAMESPACE}}}include") == '["/w/"]'


def test_it_escapes_hostile_values_in_our_attributes():
    hostile = OpmlOutline(
        'https://a.example/p?x=1&y="2"&z=<3>',
        'https://a.example/"home"&<',
        '"/><outline xmlUrl="https://evil.example/f"/>',
        "News",
        'sitemap"/><outline xmlurl="x',
        '</outline><outline type="rss" xmlUrl="https://evil.example/g"/>',
        ('"]]><!--', "&amp; <![CDATA[x]]>"),
        (r"\"", r"\u0000", "a\tb\nc"),
    )
    document = build_opml([hostile], "t")
    assert b'evil.example/f"' not in document and b'<outline xmlUrl="https://evil' not in document
    assert etree.fromstring(document).xpath("//outline[@xmlUrl]") == []
    assert parse_opml(document).outlines == (hostile,)


def test_it_reads_our_attributes_only_in_our_namespace():
    body = b"""<opml xmlns:newsdesk="https://someone-else.example/ns"><body>
    <outline type="link" url="https://a.example/page" newsdesk:kind="sitemap"/></body></opml>"""
    assert parse_opml(body).outlines[0].kind == LINK


def test_it_reads_our_attributes_when_the_declaration_was_lost():
    # A hand-edited file: the prefix survives, the xmlns declaration does not.
    body = b"""<opml><body><outline type="link" url="https://a.example/sitemap.xml"
    newsdesk:kind="Sitemap"/></body></opml>"""
    parsed = parse_opml(body)
    assert parsed.outlines[0].kind == SITEMAP
    assert any("not well-formed" in p for p in parsed.problems)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not json", "is not a JSON list of regular expressions"),
        ('{"a": 1}', "is not a JSON list of regular expressions"),
        ("[1, 2]", "is not a JSON list of regular expressions"),
        ("[" * 50_000 + "]" * 50_000, "is not a JSON list of regular expressions"),  # too deep
        ("[" + ",".join(['"x"'] * 101) + "]", "more than 100 patterns"),
    ],
)
def test_it_names_unreadable_link_patterns_on_their_outline(value, reason):
    body = (
        f'<opml xmlns:newsdesk="{NAMESPACE}"><body><outline type="link" '
        'url="https://a.example/world/" newsdesk:kind="section" '
        f"newsdesk:include='{value}'/></body></opml>"
    ).encode()
    outline = parse_opml(body).outlines[0]
    assert outline.include == ()
    assert outline.problem is not None and reason in outline.problem


def test_it_skips_links_without_a_usable_address():
    body = b"""<opml><body><outline type="link" url="mailto:me@example.com"/>
    <outline type="link" text="no url"/><outline type="rss" xmlUrl="https://a.example/f"/>
    </body></opml>"""
    parsed = parse_opml(body)
    assert [o.url for o in parsed.outlines] == ["https://a.example/f"]
    assert any(p.startswith("2 outlines had no usable") for p in parsed.problems)


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
    assert [f.url for f in parsed.outlines] == ["https://a.example/f", "https://b.example/f"]
    assert any("not well-formed" in p for p in parsed.problems)


def test_it_survives_references_to_forbidden_characters():
    body = b'<opml><body><outline text="&#xD800;" xmlUrl="https://a.example/f"/></body></opml>'
    assert parse_opml(body).outlines[0].title == "\ufffd"
