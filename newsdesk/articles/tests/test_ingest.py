"""Ingest of one page: non-articles kept out with their reason, edits, content types."""

from __future__ import annotations

import json

import pytest

from newsdesk.articles.extract import MAX_AUTHORS, MAX_ELEMENTS
from newsdesk.articles.ingest import process_item
from newsdesk.articles.models import Article
from newsdesk.articles.pages import not_html_reason
from newsdesk.articles.tests.conftest import LocalSite, article_page, story
from newsdesk.lib.http import FetchPolicy
from newsdesk.sources.models import Outlet, Source, SourceItem

pytestmark = pytest.mark.django_db


def page(body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Gazette</title>'
        f"{head}</head><body>{body}</body></html>"
    )


INDEX = page(
    "<h1>Latest news</h1><ul>"
    + "".join(
        f'<li><a href="/news/{n}">Harbour story number {n} of the week</a></li>' for n in range(60)
    )  # noqa: E501
    + "</ul>",
    '<meta property="og:type" content="website">',
)
PAYWALL = page(
    "<article><h1>Council budget vote</h1><p>The council voted on Tuesday.</p>"
    "<p>Subscribe to continue reading. Already a subscriber? Log in.</p></article>",
    '<meta property="og:type" content="article">',
)
COOKIE_WALL = page(
    '<div class="consent"><p>We use cookies to improve your experience.</p>'
    "<button>Accept all cookies</button></div>"
)


@pytest.fixture
def source(local_site: LocalSite) -> Source:
    outlet = Outlet.objects.create(name="Gazette", slug="gazette", home_url=local_site.url("/"))
    return Source.objects.create(outlet=outlet, url=local_site.url("/feed"))


def run(local_site: LocalSite, source: Source, path: str, policy: FetchPolicy) -> SourceItem:
    item = SourceItem.objects.create(source=source, guid=path, url=local_site.url(path))
    process_item(item, policy=policy)
    item.refresh_from_db()
    return item


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (INDEX, "text/html; charset=utf-8", "index page"),
        (PAYWALL, "text/html; charset=utf-8", "paywall stub"),
        (COOKIE_WALL, "text/html", "cookie wall"),
        (
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
            "application/pdf",
            "not HTML (application/pdf)",
        ),  # noqa: E501
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", "not HTML (image/png)"),
        (
            b"<?xml version='1.0'?><rss version='2.0'></rss>",
            "application/rss+xml",
            "not HTML (application/rss+xml)",
        ),  # noqa: E501
    ],
    ids=["index", "paywall", "cookie-wall", "pdf", "image", "feed"],
)
def test_it_keeps_non_articles_out_with_their_reason(
    local_site: LocalSite,
    source: Source,
    local_policy: FetchPolicy,
    body: str | bytes,
    content_type: str,
    reason: str,
) -> None:
    local_site.add("/page", body, content_type)
    item = run(local_site, source, "/page", local_policy)
    assert item.state == SourceItem.State.SKIPPED
    assert item.error == reason
    assert item.article is None
    assert Article.objects.count() == 0
    source.refresh_from_db()
    assert reason in source.last_page_error
    assert source.page_error_count == 1


def test_it_sniffs_an_html_page_sent_with_a_vague_type(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    local_site.add("/vague", article_page("Vague type", story("vague")), "application/octet-stream")
    item = run(local_site, source, "/vague", local_policy)
    assert item.state == SourceItem.State.DONE
    assert item.article is not None and item.article.title == "Vague type"


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        ("text/html", None),
        ("TEXT/HTML; charset=ISO-8859-1", None),
        ("application/xhtml+xml", None),
        (None, None),
        ("application/octet-stream", None),
        ("application/pdf", "not HTML (application/pdf)"),
        ("image/jpeg", "not HTML (image/jpeg)"),
        ("video/mp4", "not HTML (video/mp4)"),
        ("application/json", "not HTML (application/json)"),
    ],
)
def test_it_reads_the_content_type(content_type: str | None, reason: str | None) -> None:
    assert not_html_reason(content_type) == reason


def test_it_updates_an_edited_article_reached_through_another_url(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    canonical = local_site.url("/news/ferry")
    paragraphs = story("ferry-edit")
    local_site.add(
        "/news/ferry", article_page("Ferry fares to rise", paragraphs, canonical=canonical)
    )
    first = run(local_site, source, "/news/ferry", local_policy)
    assert first.article is not None
    # The outlet edits the story; its feed now links a new slug with the same canonical.
    edited = [*paragraphs, "The operator later said the rise would wait until the summer."]
    local_site.add(
        "/news/ferry-v2", article_page("Ferry fares delayed", edited, canonical=canonical)
    )  # noqa: E501
    second = run(local_site, source, "/news/ferry-v2", local_policy)
    assert second.article_id == first.article_id
    article = Article.objects.get()
    assert article.title == "Ferry fares delayed"
    assert article.title_history == ["Ferry fares to rise"]
    assert article.text.endswith("wait until the summer.")
    assert article.modified_at is not None


def test_a_page_signed_by_a_desk_stores_the_credit_and_no_author(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    page = article_page("Ferry fares to rise", story("ferry"), author="Gazette Newsroom")
    local_site.add("/news/desk", page)
    item = run(local_site, source, "/news/desk", local_policy)
    assert item.article is not None
    article = item.article
    assert article.credit == "Gazette Newsroom"
    assert not article.bylines.exists()  # a desk is no person: no author page for it


def test_a_page_too_large_for_an_article_is_kept_out_with_the_reason_shown(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    flood = page("<article>" + "<p>word</p>" * (MAX_ELEMENTS + 1) + "</article>")
    local_site.add("/news/flood", flood)
    item = run(local_site, source, "/news/flood", local_policy)
    assert item.state == SourceItem.State.SKIPPED
    assert item.error.startswith("too large for an article (")
    assert Article.objects.count() == 0
    source.refresh_from_db()
    assert item.error in source.last_page_error


def test_a_feed_naming_more_authors_than_a_byline_holds_gives_the_first_ones(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    # The page names nobody, so the feed item's authors are used: as untrusted as a page.
    local_site.add("/news/crowd", article_page("Crowd", story("crowd"), author=""))
    names = [f"Reporter {chr(65 + n // 26)}{chr(97 + n % 26)}" for n in range(60)]
    item = SourceItem.objects.create(
        source=source, guid="crowd", url=local_site.url("/news/crowd"), authors=names
    )
    process_item(item, policy=local_policy)
    item.refresh_from_db()
    assert item.article is not None
    bylines = item.article.bylines.order_by("position").select_related("author")
    assert [b.author.name for b in bylines] == names[:MAX_AUTHORS]


def test_a_nul_escaped_in_the_pages_json_ld_is_dropped_before_the_database_sees_it(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    # PostgreSQL refuses NUL in text columns outright: the page would fail every time.
    ld = json.dumps(
        {"@type": "NewsArticle", "headline": "Ferry\0 fares rise", "author": "Ann\0 Bee"}
    )
    head = f'<script type="application/ld+json">{ld}</script>'
    local_site.add("/news/nul", article_page("Ferry", story("nul"), extra_head=head, author=""))
    item = run(local_site, source, "/news/nul", local_policy)
    assert item.state == SourceItem.State.DONE, item.error
    assert item.article is not None
    assert item.article.title == "Ferry fares rise"
    assert [b.author.name for b in item.article.bylines.all()] == ["Ann Bee"]


def test_a_page_naming_another_story_as_its_canonical_cannot_replace_that_story(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    # Page 2 of a story naming page 1, or any page naming another story of its site.
    local_site.add("/news/ferry", article_page("Ferry fares to rise", story("ferry")))
    first = run(local_site, source, "/news/ferry", local_policy)
    assert first.article is not None
    text_before = first.article.text
    claim = article_page(
        "Harbour dredging", story("dredge"), canonical=local_site.url("/news/ferry")
    )
    local_site.add("/news/dredge", claim)
    second = run(local_site, source, "/news/dredge", local_policy)
    assert second.state == SourceItem.State.DONE and second.article is not None
    assert second.article.pk != first.article.pk
    assert second.article.canonical_url == local_site.url("/news/dredge")
    ferry = Article.objects.get(pk=first.article.pk)
    assert (ferry.title, ferry.title_history) == ("Ferry fares to rise", [])
    assert ferry.text == text_before
