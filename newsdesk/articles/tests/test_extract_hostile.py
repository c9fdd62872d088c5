"""Hostile pages: whatever a page holds, extraction ends soon, keeps what it can read of
the page, and stores nothing absurd (limits in extract/core.py)."""

from __future__ import annotations

import json

from newsdesk.articles.extract import MAX_AUTHORS, MAX_ELEMENTS, block_fingerprints, extract
from newsdesk.articles.extract.core import MAX_LD_BODY_CHARS, MAX_TITLE_CHARS

URL = "https://gazette.example/news/harbour"
PARAGRAPHS = "".join(
    f"<p>The harbour board met on Tuesday for the {n}th time this year to discuss the "
    "ferry timetable, the price of berths and the dredging of the eastern channel.</p>"
    for n in range(1, 9)
)


def page(head: str = "", body: str = PARAGRAPHS, h1: str = "Harbour board meets again") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{head}</head>'
        f"<body><article><h1>{h1}</h1>{body}</article></body></html>"
    ).encode()


def ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_json_ld_nested_too_deep_for_the_parser_is_ignored_and_the_page_still_read() -> None:
    bomb = '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
    ex = extract(page(bomb + '<meta property="og:title" content="Harbour board meets again">'), URL)
    assert ex.is_article
    assert ex.title == "Harbour board meets again"
    assert ex.text.startswith("The harbour board met on Tuesday for the 1th time")


def test_a_page_of_more_elements_than_any_article_is_recorded_as_too_large_unread() -> None:
    flood = "<p>word</p>" * (MAX_ELEMENTS + 1)
    ex = extract(page(body=flood), URL)
    assert not ex.is_article
    assert ex.reason == f"too large for an article (more than {MAX_ELEMENTS:,} elements)"
    assert ex.text == "" and ex.title is None
    assert block_fingerprints(page(body=flood), URL) == set()


def test_a_page_just_under_the_element_limit_is_read() -> None:
    # <html>, <head>, <meta>, <body>, <article>, <h1> and the paragraphs.
    filler = "<span>x</span>" * (MAX_ELEMENTS - 6 - 8 - 100)
    ex = extract(page(body=PARAGRAPHS + f"<aside>{filler}</aside>"), URL)
    assert ex.is_article, ex.reason
    assert ex.title == "Harbour board meets again"


def test_an_overlong_headline_is_cut_at_a_word_with_an_ellipsis() -> None:
    words = " ".join(f"harbour{n}" for n in range(120))  # about 1,100 characters
    ex = extract(page(f'<meta property="og:title" content="{words}">'), URL)
    assert ex.title is not None and len(ex.title) <= MAX_TITLE_CHARS
    assert ex.title.endswith("…")
    assert words.startswith(ex.title.removesuffix("…"))
    assert ex.title.removesuffix("…").split()[-1] in words.split()  # no half word


def test_a_headline_source_too_long_to_be_one_gives_way_to_the_next() -> None:
    head = (
        f'<meta property="og:title" content="{"A" * 1_000_000}"><title>Harbour board meets</title>'
    )
    ex = extract(page(head), URL)
    assert ex.title == "Harbour board meets"


def test_a_byline_keeps_its_first_names_up_to_the_limit_in_order() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [f"Anna {letters[n // 26].upper()}{letters[n % 26]}son" for n in range(200)]
    art = {
        "@type": "NewsArticle",
        "headline": "Harbour board meets again",
        "author": [{"@type": "Person", "name": n} for n in names],
    }
    ex = extract(page(ld(art)), URL)
    assert ex.authors == tuple(names[:MAX_AUTHORS])


def test_a_json_ld_body_longer_than_any_article_is_not_taken_as_the_body() -> None:
    art = {
        "@type": "NewsArticle",
        "headline": "Harbour board meets again",
        "articleBody": "spam " * (MAX_LD_BODY_CHARS // 5 + 1),
    }
    ex = extract(page(ld(art)), URL)
    assert "spam spam" not in ex.text
    assert ex.text.startswith("The harbour board met on Tuesday")


def test_control_characters_and_lone_surrogates_never_reach_the_extraction() -> None:
    # From JSON escapes (NUL, which PostgreSQL refuses to store; a lone surrogate, which no
    # encoder takes) and from character references in the markup.
    art = {
        "@type": "NewsArticle",
        "headline": "Harbour\u0000 board\u0001 meets \ud800again",
        "author": {"@type": "Person", "name": "Mira\u0000 Castell"},
        "articleSection": "Loc\u0007al",
    }
    head = '<script type="application/ld+json">' + json.dumps(art) + "</script>"
    body = PARAGRAPHS + "<p>Berths cost&#1; more&#0; and\x02 the channel\x7f is shallow.</p>"
    ex = extract(page(head, body=body), URL)
    assert ex.title == "Harbour board meets again"
    assert ex.authors == ("Mira Castell",)
    assert ex.section == "Local"
    assert "Berths cost more" in ex.text and "and the channel is shallow." in ex.text
    for value in (ex.title, *ex.authors, ex.text, ex.html):
        assert not any(
            ord(c) < 32 and c not in "\t\n\r" or 0xD800 <= ord(c) <= 0xDFFF for c in value
        )


def test_markup_written_into_an_author_credit_is_no_part_of_the_names() -> None:
    credits = {
        "&lt;b&gt;Mira Castell&lt;/b&gt;": ("Mira Castell",),
        "&lt;a href='http://x.example'&gt;Mira Castell&lt;/a&gt; and Tomas Rey": (
            "Mira Castell",
            "Tomas Rey",
        ),
        "Mira Castell &lt;script&gt;steal()&lt;/script&gt;": ("Mira Castell",),
        "Mira &lt; Castell": (),
    }
    for credit, names in credits.items():
        ex = extract(page(f'<meta name="author" content="{credit}">'), URL)
        assert ex.authors == names, credit
