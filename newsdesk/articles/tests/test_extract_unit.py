"""Unit tests for the article extractor's pieces (no dev-set data needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.articles.extract import (
    TITLE_SOURCES,
    block_fingerprints,
    extract,
    page_titles,
    sanitize_html,
)
from newsdesk.articles.extract.candidates import dom_blocks
from newsdesk.articles.extract.dom import parse
from newsdesk.articles.extract.language import detect_language
from newsdesk.articles.extract.metadata import clean_author_names, clean_title, parse_date
from newsdesk.articles.extract.urls import same_site, strip_tracking

PARA = (
    "The council voted on Tuesday to extend the harbour promenade by another two kilometres, "
    "a plan that residents had debated for almost a decade before the money was found. "
)


def page(body: str, head: str = "", lang: str = "en") -> str:
    return f"<!doctype html><html lang='{lang}'><head>{head}</head><body>{body}</body></html>"


def article_body(n: int = 6) -> str:
    return "<article>" + "".join(f"<p>{PARA} Paragraph {i}.</p>" for i in range(n)) + "</article>"


# --------------------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("raw", "site", "url", "expected"),
    [
        ("Harbour plan approved | The Daily Gull", "The Daily Gull", None, "Harbour plan approved"),
        ("Harbour plan approved - The Daily Gull", "The Daily Gull", None, "Harbour plan approved"),
        ("Harbour plan approved – dailygull.com", None, "https://www.dailygull.com/a", "Harbour plan approved"),  # noqa: E501
        ("The Daily Gull: Harbour plan approved", "The Daily Gull", None, "Harbour plan approved"),
        ("Harbour plan approved | Politics | The Daily Gull", "The Daily Gull", None, "Harbour plan approved | Politics"),  # noqa: E501
        ("BUDGET 3.0 | Sars gets R4bn", "TimesLIVE", None, "BUDGET 3.0 | Sars gets R4bn"),
        ("Q&A: what - exactly - happened?", "Gull", None, "Q&A: what - exactly - happened?"),
        ("  spaced   title  ", None, None, "spaced title"),
        ("Harbour plan approved | The Daily Gull | by Jane Doe", "The Daily Gull", None, "Harbour plan approved"),  # noqa: E501
        ("Harbour plan approved * The Daily Gull", "The Daily Gull", None, "Harbour plan approved"),  # noqa: E501
        ("Gull Mayor at the GULL-Awards: a night out", "Gull", None, "Gull Mayor at the GULL-Awards: a night out"),  # noqa: E501
        ("", None, None, None),
    ],
)  # fmt: skip
def test_clean_title(raw: str, site: str | None, url: str | None, expected: str | None) -> None:
    assert clean_title(raw, site, url) == expected


def test_title_prefers_visible_headline_over_decorated_meta() -> None:
    html = page(
        "<h1>Harbour plan approved</h1>" + article_body(),
        "<meta property='og:title' content='Harbour plan approved - Gull News Network Online'>",
    )
    assert extract(html).title == "Harbour plan approved"


# --------------------------------------------------------------------------- authors


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By Jane Doe"], ("Jane Doe",)),
        (["Jane Doe and John Roe"], ("Jane Doe", "John Roe")),
        (["Von Anna Müller und Jan Berg"], ("Anna Müller", "Jan Berg")),
        (["Jane Doe, John Roe & Ann Poe"], ("Jane Doe", "John Roe", "Ann Poe")),
        (["Jane Doe", "jane doe"], ("Jane Doe",)),
        (["Jane Doe", "Reuters"], ("Jane Doe", "Reuters")),
        (["Felix Roe, dpa"], ("Felix Roe", "dpa")),
        (["dpa", "AFP"], ("dpa",)),
        (["The Daily Gull, Frankfurt, Germany"], ()),
        (["Latest Posts"], ()),
        (["Reuters"], ("Reuters",)),
        (["The Daily Gull"], ()),
        (["Jane Doe | Senior Correspondent"], ("Jane Doe",)),
        (["https://www.facebook.com/janedoe"], ()),
        (["Autor: Piotr Nowak"], ("Piotr Nowak",)),
        (["JANE DOE"], ("JANE DOE",)),
        (["Associated Press in Valencia"], ("Associated Press",)),
        (["Shaun Walker in Kyiv and Pjotr Sauer in Moscow"], ("Shaun Walker", "Pjotr Sauer")),
        (["Daily Gull staff"], ()),
        (["Daily D"], ()),
        (["Dailey Dawn"], ("Dailey Dawn",)),
    ],
)
def test_clean_author_names(raw: list[str], expected: tuple[str, ...]) -> None:
    assert clean_author_names(raw, site="The Daily Gull") == expected


def test_authors_from_json_ld_skip_organisations() -> None:
    ld = (
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"H",'
        '"author":[{"@type":"Person","name":"Jane Doe"},{"@type":"Organization","name":"Gull"}],'
        '"publisher":{"@type":"Organization","name":"Gull"}}</script>'
    )
    assert extract(page(article_body(), ld)).authors == ("Jane Doe",)


def test_authors_from_meta_and_byline() -> None:
    meta = page(article_body(), "<meta name='author' content='By Jane Doe and John Roe'>")
    assert extract(meta).authors == ("Jane Doe", "John Roe")
    byline = page(
        "<div class='byline'>By <a rel='author' href='/a/jd'>Jane Doe</a></div>" + article_body()
    )
    assert extract(byline).authors == ("Jane Doe",)


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-02T16:00:34Z", datetime(2024, 3, 2, 16, 0, 34, tzinfo=UTC)),
        ("2024-03-02T16:00:34+0100", datetime(2024, 3, 2, 15, 0, 34, tzinfo=UTC)),
        ("2024-03-02 16:00", datetime(2024, 3, 2, 16, 0, tzinfo=UTC)),
        ("2024-03-02", datetime(2024, 3, 2, tzinfo=UTC)),
        ("Sat, 02 Mar 2024 16:00:34 GMT", datetime(2024, 3, 2, 16, 0, 34, tzinfo=UTC)),
        ("1709395234", datetime(2024, 3, 2, 16, 0, 34, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        ("1850-01-01", None),
    ],
)
def test_parse_date(raw: str, expected: datetime | None) -> None:
    got = parse_date(raw)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None


def test_dates_from_meta_and_json_ld() -> None:
    head = (
        "<meta property='article:published_time' content='2024-03-02T10:00:00+02:00'>"
        "<meta property='article:modified_time' content='2024-03-03T10:00:00+02:00'>"
    )
    ex = extract(page(article_body(), head))
    assert ex.published == datetime(2024, 3, 2, 8, tzinfo=UTC)
    assert ex.modified == datetime(2024, 3, 3, 8, tzinfo=UTC)
    assert ex.published is not None and ex.published.utcoffset() == timedelta(hours=2)


def test_date_from_time_element() -> None:
    body = "<time datetime='2024-05-01T09:30:00Z'>1 May</time>" + article_body()
    assert extract(page(body)).published == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


# --------------------------------------------------------------------------- canonical URL


def test_canonical_same_site_with_tracking_stripped() -> None:
    head = "<link rel='canonical' href='https://www.gull.example/a/1?utm_source=x&id=3#top'>"
    ex = extract(page(article_body(), head), "https://gull.example/a/1?fbclid=abc")
    assert ex.canonical_url == "https://www.gull.example/a/1?id=3"


def test_canonical_other_site_ignored() -> None:
    head = "<link rel='canonical' href='https://aggregator.example/copy/1'>"
    ex = extract(page(article_body(), head), "https://gull.example/a/1?utm_medium=rss")
    assert ex.canonical_url == "https://gull.example/a/1"


def test_canonical_relative_and_og_url() -> None:
    head = "<meta property='og:url' content='/a/2'>"
    assert extract(page(article_body(), head), "https://gull.example/x").canonical_url == (
        "https://gull.example/a/2"
    )


def test_url_helpers() -> None:
    assert same_site("https://www.bbc.co.uk/a", "https://bbc.co.uk/b")
    assert not same_site("https://evil.co.uk/a", "https://bbc.co.uk/b")
    assert (
        strip_tracking("https://a.example/p?utm_campaign=x&q=1&gclid=2")
        == "https://a.example/p?q=1"
    )


# --------------------------------------------------------------------------- language


def test_language_from_text_not_html_lang() -> None:
    german = (
        "Die Aufregung nach dem Aufmarsch in Hamburg bleibt groß. Auch in Österreich stellt "
        "sich nun die Frage, wie die Antwort auf religiöse Fanatiker aussehen soll."
    )
    assert detect_language(german, "en") == "de"
    body = "<article>" + "".join(f"<p>{german} {i}</p>" for i in range(8)) + "</article>"
    assert extract(page(body, lang="en")).language == "de"


def test_language_html_lang_as_fallback() -> None:
    assert detect_language("ok", "pt-BR") == "pt"
    assert detect_language("", None) is None


# --------------------------------------------------------------------------- sanitizer


def test_sanitizer_strips_dangerous_markup() -> None:
    dirty = (
        '<base href="https://evil.example/"><p onclick="steal()" style="color:red">Hi'
        "<script>alert(1)</script><style>p{}</style>"
        '<a href="javascript:alert(1)">js</a><a href="https://ok.example/">ok</a>'
        '<iframe src="https://evil.example/"></iframe><form action="/x"><input name="q"></form>'
        '<img src="https://img.example/a.jpg" onerror="x()"><img src="data:image/png;base64,AA"></p>'  # noqa: E501
    )
    clean = sanitize_html(dirty)
    for bad in ("script", "alert", "onclick", "style", "javascript:", "iframe", "form", "input",
                "base", "onerror", "data:", "color:red"):  # fmt: skip
        assert bad not in clean
    assert '<a href="https://ok.example/" rel="noopener nofollow">ok</a>' in clean
    assert 'src="https://img.example/a.jpg"' in clean


def test_sanitizer_keeps_structure() -> None:
    html = "<h2>Sub</h2><ul><li>a</li></ul><blockquote><p>q</p></blockquote><figure><figcaption>c</figcaption></figure>"  # noqa: E501
    assert sanitize_html(html) == html


def test_extracted_html_is_sanitized() -> None:
    body = article_body().replace("Paragraph 1.", 'Paragraph 1. <a href="javascript:x()">bad</a>')
    ex = extract(page(body))
    assert "javascript" not in ex.html and ex.html.startswith("<p>")
    assert ex.text.count("\n") == 5


# --------------------------------------------------------------------------- non-articles


def test_not_html() -> None:
    assert extract(b"%PDF-1.7 binary").reason == "not HTML"
    assert extract('{"json": true}').reason == "not HTML"
    assert extract("").is_article is False


def test_too_short() -> None:
    ex = extract(page("<article><p>Just one short line of text here.</p></article>"))
    assert not ex.is_article and ex.reason == "too short"


def test_index_page() -> None:
    links = "".join(
        f"<li><a href='/story/{i}'>Headline number {i} about the harbour</a></li>"
        for i in range(60)
    )
    ex = extract(page(f"<ul>{links}</ul>", "<meta property='og:type' content='website'>"))
    assert not ex.is_article and ex.reason == "index page"


def test_paywall_stub() -> None:
    body = "<article><p>The council voted on Tuesday.</p><p>Subscribe to continue reading.</p></article>"  # noqa: E501
    ex = extract(page(body, "<meta property='og:type' content='article'>"))
    assert not ex.is_article and ex.reason == "paywall stub"


def test_cookie_wall() -> None:
    body = "<div class='consent'><p>We use cookies to improve your experience.</p><button>Accept all cookies</button></div>"  # noqa: E501
    ex = extract(page(body))
    assert not ex.is_article and ex.reason == "cookie wall"


def test_full_article_is_article() -> None:
    ex = extract(page(article_body(), "<meta property='og:type' content='article'>"))
    assert ex.is_article and ex.reason is None


# --------------------------------------------------------------------------- boilerplate


def test_boilerplate_blocks_dropped() -> None:
    promise = "<p>Our promise: we check every fact twice before we print it.</p>"
    html = page(article_body().replace("</article>", promise + "</article>"))
    assert "Our promise" in extract(html).text
    learned = frozenset(
        block_fingerprints(
            page("<p>Our promise: we check every fact twice before we print it.</p>")
        )
    )
    assert learned
    assert "Our promise" not in extract(html, boilerplate=learned).text


def test_phrase_filters() -> None:
    extra = (
        "<p>Share this article</p>"
        "<p>Receive free Harbour updates</p>"
        "<p>Sign up for our morning newsletter and get the news in your inbox.</p>"
        "<h3>Related articles</h3><ul><li><a href='/1'>Other story one</a></li><li><a href='/2'>Two</a></li></ul>"  # noqa: E501
        "<p>Additional reporting by Sam Poe.</p>"
    )
    body = (
        "<article>"
        + "".join(f"<p>{PARA} Paragraph {i}.</p>" for i in range(5))
        + extra
        + "</article>"
    )
    text = extract(page(body)).text
    assert "Share this" not in text and "Receive free" not in text and "newsletter" not in text
    assert "Related" not in text and "Other story" not in text
    assert "Additional reporting by Sam Poe." in text


# --------------------------------------------------------------------------- body structure


def test_paragraph_divs_with_leading_links_are_kept() -> None:
    # Paragraphs set as divs, one of them a short phrase, a link, then the sentence; a
    # teaser card whose text sits in child elements is not a paragraph.
    paras = "".join(f"<div class='para'>{PARA} Number {i}.</div>" for i in range(3))
    linked = "<div class='para'>Meanwhile <a href='/x'>the council</a> said " + PARA + "</div>"
    card = "<div class='para'><span>Ferry timetable changes for the coming winter</span></div>"
    tree = parse(page(f"<main><div class='story'>{paras}{linked}{card}</div></main>"))
    assert tree is not None
    texts = [b.text for b in dom_blocks(tree)]
    assert any(t.startswith("Meanwhile the council said") for t in texts)
    assert not any(t.startswith("Ferry timetable") for t in texts)


def test_live_blog_updates_from_json_ld_when_not_rendered() -> None:
    news = (
        "Firefighters reached the north pier shortly after midnight and kept the blaze from "
        "spreading to the fish market, the harbour master told reporters at the scene"
    )
    updates = ",".join(
        f'{{"@type":"BlogPosting","headline":"Update {i}",'
        f'"articleBody":"Update body {i}. {news} number {i}."}}'
        for i in range(4)
    )
    ld = (
        '<script type="application/ld+json">{"@type":"LiveBlogPosting","headline":"Live",'
        f'"liveBlogUpdate":[{updates}]}}</script>'
    )
    ex = extract(page(article_body(3), ld))
    assert "Update body 0." in ex.text and "Update body 3." in ex.text
    assert ex.text.index("Paragraph 0") < ex.text.index("Update body 0")


def test_live_blog_updates_not_repeated_when_rendered() -> None:
    updates = ",".join(
        f'{{"@type":"BlogPosting","headline":"Update {i}","articleBody":"{PARA} Paragraph {i}."}}'
        for i in range(4)
    )
    ld = (
        '<script type="application/ld+json">{"@type":"LiveBlogPosting","headline":"Live",'
        f'"liveBlogUpdate":[{updates}]}}</script>'
    )
    ex = extract(page(article_body(6), ld))
    assert ex.text.count("Paragraph 2.") == 1


def test_byline_signed_in_body() -> None:
    body = "<article><p><strong>Thandi Mokoena</strong></p>" + article_body()[9:]
    ex = extract(page(body))
    assert ex.authors == ("Thandi Mokoena",)
    assert "Thandi Mokoena" not in ex.text


def test_loose_byline_markup_needs_full_names() -> None:
    body = (
        "<div class='meta'><span class='authorname'>Eva Roe</span></div>"
        "<div class='comment-list'><span class='comment-author'>Kaffeetrinker</span></div>"
        + article_body()
    )
    assert extract(page(body)).authors == ("Eva Roe",)


def test_teaser_card_bylines_are_not_the_author() -> None:
    body = (
        "<div class='meta'><span class='author-name'>Jane Doe</span></div>"
        + article_body()
        + "<div class='Card-footer'><span class='byline'>Bob Roe</span></div>"
    )
    assert extract(page(body)).authors == ("Jane Doe",)


def test_author_email_in_meta_resolved_to_name_on_page() -> None:
    head = "<meta name='author' content='d.kuckelmann@gull.example'>"
    body = "<div class='top'><span>Dieter Kuckelmann</span></div>" + article_body()
    assert extract(page(body, head)).authors == ("Dieter Kuckelmann",)


def test_title_meta_variant_without_kicker_or_trailing_label() -> None:
    ld = (
        '<script type="application/ld+json">{"@type":"NewsArticle",'
        '"headline":"Harbour plan approved after ten years"}</script>'
    )
    kicker = (
        "<meta property='og:title' content='Waterfront | Harbour plan approved after ten years'>"
    )
    assert (
        extract(page(article_body(), kicker + ld)).title == "Harbour plan approved after ten years"
    )
    label = (
        "<meta property='og:title' content='Harbour plan approved after ten years-Politics'>"
        "<meta name='title' content='Harbour plan approved after ten years'>"
    )
    assert extract(page(article_body(), label)).title == "Harbour plan approved after ten years"
    # Different headlines are left alone: og:title stays first.
    other = "<meta property='og:title' content='Promenade to grow by two kilometres'>"
    assert extract(page(article_body(), other + ld)).title == "Promenade to grow by two kilometres"


def test_agency_organisation_author_kept_after_people() -> None:
    ld = (
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"H",'
        '"author":[{"@type":"Person","name":"Jane Doe"},{"@type":"Organization","name":"SDA"},'
        '{"@type":"Organization","name":"Gull"}],'
        '"publisher":{"@type":"Organization","name":"Gull"}}</script>'
    )
    assert extract(page(article_body(), ld)).authors == ("Jane Doe", "SDA")


def test_labelled_author_in_fact_list() -> None:
    body = (
        article_body()
        + "<ul class='facts'><li><strong>Datum</strong> 28.04.2023</li>"
        + "<li><strong>Autorin/Autor</strong> Roman Petrenko</li></ul>"
    )
    assert extract(page(body)).authors == ("Roman Petrenko",)


def test_body_signature_after_standfirst_but_not_capital_subheads() -> None:
    intro = "<p><em>Residents cheer.</em></p><p><em>Council pays.</em></p>"
    body = "<article>" + intro + "<p><strong>Thandi Mokoena</strong></p>" + article_body()[9:]
    ex = extract(page(body))
    assert ex.authors == ("Thandi Mokoena",)
    caps = (
        "<article>" + article_body()[9:-10] + "<p><strong>SECOND OPERATION</strong></p></article>"
    )
    assert extract(page(caps)).authors == ()


def test_body_signature_in_capitals_only_as_the_first_line() -> None:
    signed = "<article><p><strong>MTHOBISI SITHOLE</strong></p>" + article_body()[9:]
    ex = extract(page(signed))
    assert ex.authors == ("MTHOBISI SITHOLE",)
    assert "MTHOBISI" not in ex.text
    later = "<article>" + article_body(2)[9:-10] + "<p><strong>SECOND OPERATION</strong></p>"
    later += article_body(4)[9:]
    assert extract(page(later)).authors == ()


def test_cms_account_named_after_the_site_is_not_an_author() -> None:
    ld = (
        '<meta property="og:site_name" content="Ilanga News">'
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"H",'
        '"author":{"@type":"Person","name":"Ilanga D"}}</script>'
    )
    body = "<article><p><strong>Thandi Mokoena</strong></p>" + article_body()[9:]
    assert extract(page(body, ld)).authors == ("Thandi Mokoena",)


def test_page_titles_lists_each_source_cleaned() -> None:
    head = (
        "<title>Harbour plan approved | The Daily Gull</title>"
        "<meta property='og:site_name' content='The Daily Gull'>"
        "<meta property='og:title' content='Gull harbour plan gets the nod'>"
        "<meta name='twitter:title' content='Gull harbour plan gets the nod'>"
        '<script type="application/ld+json">{"@type":"NewsArticle",'
        '"headline":"Harbour plan approved after long debate"}</script>'
    )
    tree = parse(page("<h1>Harbour plan approved</h1>" + article_body(), head))
    assert tree is not None
    assert page_titles(tree) == {
        "og": "Gull harbour plan gets the nod",
        "jsonld": "Harbour plan approved after long debate",
        "twitter": "Gull harbour plan gets the nod",
        "title": "Harbour plan approved",
        "h1": "Harbour plan approved",
    }
    assert set(page_titles(tree)) <= set(TITLE_SOURCES)


def test_an_organisation_the_page_calls_its_author_is_a_credit_not_an_author() -> None:
    ld = (
        '<meta property="og:site_name" content="BBC">'
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"H",'
        '"author":{"@type":"Organization","name":"BBC News"}}</script>'
    )
    ex = extract(page(article_body(), ld))
    assert ex.authors == ()
    assert ex.credit == "BBC News"


def test_a_credit_comes_only_from_author_metadata_and_only_without_a_person() -> None:
    site_only = page(article_body(), '<meta property="og:site_name" content="The Daily Gull">')
    assert extract(site_only).credit is None  # never the site name by inference
    desk = page(article_body(), "<meta name='author' content='MND Staff'>")
    assert (extract(desk).authors, extract(desk).credit) == ((), "MND Staff")
    person = page(article_body(), "<meta name='author' content='Jane Doe'>")
    assert (extract(person).authors, extract(person).credit) == (("Jane Doe",), None)
