"""Fuzzing the extractor: whatever bytes a page holds, extract() returns an Extraction
within its limits and never raises (a worker records the outcome and goes on)."""

from __future__ import annotations

import json

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.articles.extract import MAX_AUTHORS, block_fingerprints, extract
from newsdesk.articles.extract.core import MAX_TITLE_CHARS
from newsdesk.lib.tests.mutation import mutated

PARAGRAPHS = "".join(
    f"<p>The harbour board met on Tuesday, for the {n}th time this year, to discuss the ferry "
    "timetable, the price of berths and the dredging of the eastern channel.</p>"
    for n in range(1, 6)
)
LD_ARTICLE = json.dumps(
    {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "headline": "Harbour board meets again",
                "author": [{"@type": "Person", "name": "Mira Castell"}, "Tomas Rey"],
                "datePublished": "2026-03-10T08:00:00+01:00",
                "dateModified": "2026-03-10T09:30:00+01:00",
                "image": {"@type": "ImageObject", "url": "/img/harbour.jpg"},
                "publisher": {"@type": "NewsMediaOrganization", "name": "The Harbour Gazette"},
                "articleBody": "The harbour board met on Tuesday. It discussed the ferry.",
            }
        ],
    }
)
LD_LIVE = json.dumps(
    {
        "@type": "LiveBlogPosting",
        "headline": "Storm live",
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "headline": "Ferries stop", "articleBody": "All ferries stop."}
        ],
    }
)
SAMPLES = [
    (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Harbour board meets again | The Harbour Gazette</title>"
        '<meta property="og:title" content="Harbour board meets again">'
        '<meta property="og:type" content="article"><meta name="author" content="Mira Castell">'
        '<meta property="article:published_time" content="2026-03-10T08:00:00Z">'
        '<link rel="canonical" href="https://gazette.example/news/harbour?utm_source=x">'
        f'<script type="application/ld+json">{LD_ARTICLE}</script></head><body>'
        '<nav><a href="/">Home</a></nav><article><h1>Harbour board meets again</h1>'
        f'<p class="byline">By <a href="/author/mira">Mira Castell</a></p>{PARAGRAPHS}'
        '<figure><img src="/img/a.jpg" alt="Quay"><figcaption>The quay</figcaption></figure>'
        "<blockquote>“We will dredge,” she said.</blockquote><ul><li>One</li></ul>"
        '<div class="share">Share on X</div></article><footer>© Gazette</footer></body></html>'
    ).encode(),
    (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=iso-8859-1">'
        f'<script type="application/ld+json">{LD_LIVE}</script></head><body><main>'
        f"<h1>Storm live</h1>{PARAGRAPHS}<p>Stra\xdfe \xe9t\xe9</p></main></body></html>"
    ).encode("latin-1"),
    (
        "<html><body><h1>Latest</h1><ul>"
        + "".join(f'<li><a href="/n/{n}">Story {n}</a></li>' for n in range(40))
        + "</ul><p>We use cookies. Accept all cookies.</p></body></html>"
    ).encode(),
]
SNIPPETS = [
    b"<", b">", b"&", b"&#0;", b"&#xD800;", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"<!--",
    b"<script>", b"</script>", b'<script type="application/ld+json">', b"{", b"[[[[", b'"',
    b"<h1>", b"</article>", b"<article>", b"<p>", b'<meta property="og:title" content="',
    b'<meta name="author" content="By ', b" and ", b"<svg onload=alert(1)>", b"javascript:",
    b'<a href="javascript:alert(1)">', b"<iframe src=x>", b'<base href="http://127.0.0.1/">',
    b'"datePublished": "9999-99-99"', b'"author": [', b"<?xml version='1.0'?>",
]  # fmt: skip
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def mutated_page() -> st.SearchStrategy[bytes]:
    """A sample page with a few random slices replaced, inserted, dropped or repeated."""
    return mutated(SAMPLES, SNIPPETS, edits=8, span=60, replacement=30, repeats=40)


pages = st.one_of(st.binary(max_size=2048), st.text(max_size=800), mutated_page())
urls = st.sampled_from([None, "https://gazette.example/news/harbour", "not a url", "ftp://x/"])


def assert_inert(html: str) -> None:
    """No element that runs code, no handler attribute, no script URL in the stored HTML."""
    if not html.strip():
        return
    for el in lxml.html.fragment_fromstring(html, create_parent="div").iter():
        assert el.tag not in ("script", "iframe", "object", "embed", "style", "base", "form")
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on")
            assert not value.strip().lower().startswith(("javascript:", "data:text/html"))


@FUZZ
@given(pages, urls)
def test_extract_never_raises_and_keeps_its_limits(page: bytes | str, url: str | None) -> None:
    ex = extract(page, url)
    assert ex.is_article == (ex.reason is None)
    assert ex.title is None or 0 < len(ex.title) <= MAX_TITLE_CHARS
    assert len(ex.authors) <= MAX_AUTHORS and all(a.strip() for a in ex.authors)
    for moment in (ex.published, ex.modified):
        assert moment is None or moment.tzinfo is not None
    assert_inert(ex.html)
    assert ex.canonical_url is None or ex.canonical_url.startswith(("http://", "https://"))


@FUZZ
@given(pages)
def test_block_fingerprints_never_raises(page: bytes | str) -> None:
    assert all(isinstance(fp, str) and fp for fp in block_fingerprints(page))
