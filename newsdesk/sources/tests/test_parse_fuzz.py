"""Fuzzing: hostile bytes may only ever raise the parser's documented error class."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.lib.tests import mutation
from newsdesk.sources.parse import (
    FeedParseError,
    OpmlParseError,
    SitemapParseError,
    canonical_url,
    discover_feeds,
    find_article_links,
    parse_feed,
    parse_opml,
    parse_sitemap,
    same_site,
)

DATA = Path(__file__).parent / "data"
FEED_SAMPLES = [
    (DATA / name).read_bytes()
    for name in (
        "rss091.xml",
        "rss10.rdf",
        "rss20.xml",
        "atom.xml",
        "jsonfeed10.json",
        "jsonfeed11.json",
    )
]
SITEMAP_SAMPLES = [
    (DATA / name).read_bytes()
    for name in ("news-sitemap.xml", "sitemap-index.xml", "news-sitemap.xml.gz")
]
OPML_SAMPLES = [
    (DATA / name).read_bytes() for name in ("subscriptions.opml", "newsdesk-export.opml")
]
HTML_SAMPLES = [
    b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'
    b'<body><nav><a href="/tag/x">x</a></nav><article><a href="/2024/05/06/a-long-story-slug">'
    b"s</a></article><base href='/b/'><a href='story-12345678'>n</a></body></html>",
]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


SNIPPETS = [
    b"<", b">", b"&", b"&amp;", b"]]>", b"<![CDATA[", b"<!DOCTYPE x [", b'"', b"\x00",
    b"\xff\xfe", b"\xef\xbb\xbf", b"<item>", b"</entry>", b"{", b"}",
    b"<outline xmlUrl='feed://x'>", b"&#0;", b"&#xD800;", b"<!--", b"\\u0000",
    b"newsdesk:kind='", b'newsdesk:include="[', b"xmlns:newsdesk='x'",
    b"<outline type='link' url='http://x/a.opml'>",
]  # fmt: skip


def mutated(samples: list[bytes]) -> st.SearchStrategy[bytes]:
    return mutation.mutated(samples, SNIPPETS)


any_bytes = st.binary(max_size=2048)


@FUZZ
@given(
    st.one_of(any_bytes, mutated(FEED_SAMPLES)),
    st.sampled_from(
        [None, "text/html", "application/json", "application/rss+xml; charset=latin-1"]
    ),
)
def test_parse_feed_raises_only_feed_parse_error(body, content_type):
    try:
        feed = parse_feed(body, "https://fuzz.example/feed", content_type)
    except FeedParseError:
        return
    assert feed.kind in ("rss", "atom", "jsonfeed", "rdf")
    for entry in feed.items:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.published is None or entry.published.tzinfo is not None


@FUZZ
@given(st.one_of(any_bytes, mutated(SITEMAP_SAMPLES)))
def test_parse_sitemap_raises_only_sitemap_parse_error(body):
    try:
        sitemap = parse_sitemap(body, "https://fuzz.example/sitemap.xml")
    except SitemapParseError:
        return
    assert sitemap.kind in ("urlset", "index")


@FUZZ
@given(st.one_of(any_bytes, mutated(OPML_SAMPLES)))
def test_parse_opml_raises_only_opml_parse_error(body):
    try:
        parsed = parse_opml(body)
    except OpmlParseError:
        return
    for outline in parsed.outlines:
        assert outline.url.lower().startswith(("http://", "https://"))
        assert all(isinstance(p, str) for p in outline.include + outline.exclude)
        assert len(outline.kind) <= 40


@FUZZ
@given(st.one_of(any_bytes, st.text(max_size=500), mutated(HTML_SAMPLES)))
def test_find_article_links_never_raises(html):
    for url in find_article_links(html, "https://fuzz.example/"):
        assert url.startswith(("http://", "https://"))


@FUZZ
@given(st.one_of(any_bytes, st.text(max_size=500), mutated(HTML_SAMPLES)))
def test_discover_feeds_never_raises(html):
    for feed in discover_feeds(html, "https://fuzz.example/"):
        assert feed.kind in ("rss", "atom", "jsonfeed")


@FUZZ
@given(st.text(max_size=200), st.text(max_size=200))
def test_url_helpers_never_raise(a, b):
    canonical_url(a)
    same_site(a, b)
