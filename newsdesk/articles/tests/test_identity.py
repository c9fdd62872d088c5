"""One identity per story: near-duplicates, AMP and mobile URLs, edits."""

from __future__ import annotations

import datetime as dt
import io
import re
from datetime import UTC

import numpy as np
import pytest
from django.core.management import call_command

from newsdesk.articles import identity
from newsdesk.articles.extract import Extraction, extract
from newsdesk.articles.identity import (
    band_keys,
    candidates,
    index_article,
    main_page_url,
    page_canonical,
    shingles,
    signature,
    similar,
)
from newsdesk.articles.ingest import process_item
from newsdesk.articles.models import Article, ArticleAlias, ArticleBand
from newsdesk.articles.store import store_article
from newsdesk.articles.tests.conftest import LocalSite, article_page, story
from newsdesk.lib.http import FetchPolicy
from newsdesk.sample.catalog import Catalog, load_catalog
from newsdesk.sample.render import render
from newsdesk.sources.models import Outlet, Source, SourceItem

NOW = dt.datetime(2026, 3, 14, 6, 30, tzinfo=UTC)
WIRE = "sellen-valley-post/corvane-plant-deal-wire"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def extraction(
    text: str, title: str = "A title", modified: dt.datetime | None = None
) -> Extraction:
    return Extraction(
        title=title, authors=(), published=None, modified=modified, language="en",
        canonical_url=None, image=None, site_name=None, section=None, text=text,
        html="", is_article=True, reason=None,
    )  # fmt: skip


def outlet(slug: str) -> Outlet:
    return Outlet.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


def put(slug: str, url: str, text: str, hours_ago: float, title: str = "A title") -> Article:
    when = NOW - dt.timedelta(hours=hours_ago)
    article, _ = store_article(outlet(slug), extraction(text, title), url, url, when, NOW)
    return article


def edit_words(text: str, every: int) -> str:
    """A wire desk's light edit: change every ``every``-th word."""
    words = text.split(" ")
    return " ".join(w.upper() if i % every == 0 else w for i, w in enumerate(words))


# --------------------------------------------------------------------------- MinHash


def test_it_estimates_similarity_from_signatures(catalog: Catalog) -> None:
    original = catalog.body_text(catalog.article(WIRE))
    edited = edit_words(original, every=40) + "\n\nAdditional reporting by the Post's desk."
    sa, sb = shingles(original), shingles(edited)
    true_jaccard = len(sa & sb) / len(sa | sb)
    sig_a, sig_b = signature(original), signature(edited)
    assert sig_a is not None and sig_b is not None
    assert sig_a.shape == (identity.PERMUTATIONS,)
    estimate = float(np.mean(sig_a == sig_b))
    assert abs(estimate - true_jaccard) < 0.12
    assert signature("") is None


def test_it_keeps_band_keys_stable_across_processes_and_versions() -> None:
    # Stored ArticleBand rows are only useful while the same text gives the same keys:
    # a change here needs `newsdesk indexarticles` after deleting the old rows.
    sig = signature("The council voted on Tuesday to extend the harbour promenade.")
    assert sig is not None
    assert band_keys(sig)[:2] == [492662250715387446, 815422028738676490]


def test_it_confirms_copies_and_rejects_other_stories_on_the_same_event(
    catalog: Catalog,
) -> None:
    wire = catalog.article(WIRE)
    original = catalog.body_text(catalog.article(wire.wire_copy_of or ""))
    assert similar(original, edit_words(original, every=30))
    for story_key, articles in catalog.stories().items():
        texts = {a.key: catalog.body_text(a) for a in articles if not a.wire_copy_of}
        keys = sorted(texts)
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                assert not similar(texts[a], texts[b]), (story_key, a, b)


# --------------------------------------------------------------------------- linking


@pytest.mark.django_db
def test_it_links_a_wire_copy_with_small_edits_to_its_original(catalog: Catalog) -> None:
    wire = catalog.article(WIRE)
    text = catalog.body_text(catalog.article(wire.wire_copy_of or ""))
    original = put("ledger", "https://ledger.example/corvane", text, hours_ago=4.5)
    copy_text = edit_words(text, every=35) + "\n\nAdditional reporting by Sellen desk."
    copy = put("post", "https://post.example/corvane-wire", copy_text, hours_ago=4.0)
    assert copy.content_hash != original.content_hash  # not an exact copy
    assert copy.duplicate_of == original
    original.refresh_from_db()
    assert original.duplicate_of is None


@pytest.mark.django_db
def test_it_links_to_the_earliest_original_when_the_copy_arrives_first(
    catalog: Catalog,
) -> None:
    text = catalog.body_text(catalog.article("continental-ledger/corvane-plant-deal"))
    copy = put("post", "https://post.example/wire", edit_words(text, 50), hours_ago=2)
    second_copy = put("herald", "https://herald.example/wire", text + " Ends.", hours_ago=1)
    assert second_copy.duplicate_of == copy
    original = put("ledger", "https://ledger.example/original", text, hours_ago=5)
    assert original.duplicate_of is None
    copy.refresh_from_db()
    second_copy.refresh_from_db()
    # One level: every copy points at the earliest article, none at another copy.
    assert copy.duplicate_of == original
    assert second_copy.duplicate_of == original


@pytest.mark.django_db
def test_it_keeps_different_stories_apart(catalog: Catalog) -> None:
    stored = [
        put(a.outlet, f"https://{a.outlet}.example/{a.slug}", catalog.body_text(a), a.age_hours)
        for a in catalog.articles
    ]
    linked = {
        a.pk: a.duplicate_of_id for a in Article.objects.filter(pk__in=[s.pk for s in stored])
    }
    by_key = {a.key: s.pk for a, s in zip(catalog.articles, stored, strict=True)}
    for a in catalog.articles:
        expected = by_key[a.wire_copy_of] if a.wire_copy_of else None
        assert linked[by_key[a.key]] == expected, a.key


@pytest.mark.django_db
def test_it_finds_candidates_through_the_band_index(catalog: Catalog) -> None:
    for a in catalog.articles:
        put(a.outlet, f"https://{a.outlet}.example/{a.slug}", catalog.body_text(a), a.age_hours)
    assert ArticleBand.objects.count() == identity.BANDS * len(catalog.articles)
    wire = catalog.article(WIRE)
    original = Article.objects.get(canonical_url__endswith=wire.wire_copy_of.split("/")[1])  # type: ignore[union-attr]
    probe = put("probe", "https://probe.example/x", edit_words(original.text, 25), 0.5)
    keys = index_article(probe)
    found = candidates(keys, exclude_id=probe.pk)
    # The band lookup narrows dozens of articles to the copies of this text.
    assert original.pk in found
    assert len(found) <= 3
    assert probe.duplicate_of == original


@pytest.mark.django_db
def test_it_links_the_sample_wire_copy_from_rendered_pages(catalog: Catalog) -> None:
    wire = catalog.article(WIRE)
    stored = []
    for article in (catalog.article(wire.wire_copy_of or ""), wire):
        base = f"http://{article.outlet}.example"
        page = render(catalog, article.outlet, article.path, base, NOW)
        ex = extract(page.body, base + article.path)
        assert ex.is_article
        when = NOW - dt.timedelta(hours=article.age_hours)
        stored.append(
            store_article(
                outlet(article.outlet), ex, base + article.path, base + article.path, when, NOW
            )[0]  # noqa: E501
        )
    assert stored[1].duplicate_of == stored[0]


# --------------------------------------------------------------------------- edits


@pytest.mark.django_db
def test_it_updates_an_edited_article_and_keeps_its_titles() -> None:
    url = "https://gazette.example/ferry"
    first_text = "\n".join(story("edit-1"))
    article = put("gazette", url, first_text, hours_ago=3, title="Ferry fares to rise")
    later = NOW + dt.timedelta(hours=1)
    edited = extraction(first_text + "\nThe operator later said the rise would be delayed.",
                        title="Ferry fares to rise next month")  # fmt: skip
    same, created = store_article(outlet("gazette"), edited, url, url, NOW, later)
    assert not created and same.pk == article.pk
    same.refresh_from_db()
    assert same.title == "Ferry fares to rise next month"
    assert same.title_history == ["Ferry fares to rise"]
    assert same.text.endswith("would be delayed.")
    assert same.modified_at == later  # no update date on the page: when we saw it change
    assert Article.objects.count() == 1
    stated = dt.datetime(2026, 3, 14, 7, 0, tzinfo=UTC)
    again = extraction(same.text + "\nUpdated.", title="Ferry fares delayed", modified=stated)
    store_article(outlet("gazette"), again, url, url, NOW, later + dt.timedelta(hours=1))
    same.refresh_from_db()
    assert same.title_history == ["Ferry fares to rise", "Ferry fares to rise next month"]
    assert same.modified_at == stated


@pytest.mark.django_db
def test_it_leaves_an_unchanged_article_alone() -> None:
    url = "https://gazette.example/same"
    text = "\n".join(story("same"))
    article = put("gazette", url, text, hours_ago=3)
    store_article(outlet("gazette"), extraction(text), url, url, NOW, NOW + dt.timedelta(hours=2))
    article.refresh_from_db()
    assert article.modified_at is None
    assert article.title_history == []


@pytest.mark.django_db
def test_it_reindexes_an_edited_article() -> None:
    url = "https://gazette.example/rewrite"
    article = put("gazette", url, "\n".join(story("before")), hours_ago=3)
    before = set(ArticleBand.objects.filter(article=article).values_list("key", flat=True))
    store_article(outlet("gazette"), extraction("\n".join(story("after"))), url, url, NOW, NOW)
    after = set(ArticleBand.objects.filter(article=article).values_list("key", flat=True))
    assert len(after) == identity.BANDS
    assert before.isdisjoint(after)


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "home", "expected"),
    [
        ("https://www.example.com/news/story/amp", "", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story/amp/", "", "https://www.example.com/news/story/"),
        ("https://www.example.com/amp/news/story", "", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story.amp.html", "", "https://www.example.com/news/story"),
        (
            "https://www.example.com/news/story?amp=1&id=4",
            "",
            "https://www.example.com/news/story?id=4",
        ),  # noqa: E501
        ("https://www.example.com/s?outputType=amp", "", "https://www.example.com/s"),
        (
            "https://m.example.com/news/story",
            "https://www.example.com/",
            "https://www.example.com/news/story",
        ),  # noqa: E501
        ("https://amp.example.com/news/story", "", "https://example.com/news/story"),
        ("https://m.example.co.uk/a", "", "https://example.co.uk/a"),
        # Not AMP or mobile forms: left alone.
        ("https://www.example.com/news/amplifier", "", "https://www.example.com/news/amplifier"),
        ("https://www.example.com/amp", "", "https://www.example.com/amp"),
        ("https://m.com/a", "", "https://m.com/a"),
        ("https://m.other.org/a", "https://www.example.com/", "https://other.org/a"),
    ],
)
def test_it_turns_amp_and_mobile_urls_into_the_main_page(
    url: str, home: str, expected: str
) -> None:  # noqa: E501
    assert main_page_url(url, home) == expected


def test_it_takes_a_same_site_canonical_and_ignores_a_foreign_one() -> None:
    amp = "https://amp.example.com/news/story"
    assert page_canonical(amp, "https://www.example.com/news/story?utm_source=x") == (
        "https://www.example.com/news/story"
    )
    assert page_canonical(amp, "https://elsewhere.org/story") == "https://example.com/news/story"
    assert page_canonical(amp, None, "https://www.example.com") == (
        "https://www.example.com/news/story"
    )


@pytest.mark.django_db
def test_it_stores_an_amp_page_under_its_main_page_and_remembers_both(
    local_site: LocalSite, local_policy: FetchPolicy
) -> None:
    main = local_site.url("/news/harbour")
    paragraphs = story("amp-main")
    local_site.add(
        "/news/harbour",
        article_page("Harbour deal", paragraphs, canonical=main,
                     extra_head='<link rel="amphtml" href="/news/harbour/amp">'),
    )  # fmt: skip
    local_site.add("/news/harbour/amp", article_page("Harbour deal", paragraphs, canonical=main))
    gazette = Outlet.objects.create(name="Gazette", slug="gazette", home_url=local_site.url("/"))
    feed = Source.objects.create(outlet=gazette, url=local_site.url("/feed"))
    amp_feed = Source.objects.create(outlet=gazette, url=local_site.url("/amp-feed"))

    first = SourceItem.objects.create(
        source=amp_feed,
        guid="1",
        url=local_site.url("/news/harbour/amp?utm_medium=amp"),
        attempts=1,
    )  # noqa: E501
    result = process_item(first, policy=local_policy)
    assert result.state == SourceItem.State.DONE, result.message
    article = Article.objects.get()
    assert article.canonical_url == main
    assert ArticleAlias.objects.filter(
        article=article, url=local_site.url("/news/harbour/amp")
    ).exists()  # noqa: E501

    # The main page's own feed item, and the AMP URL from another feed: no new fetch.
    fetched = sum(local_site.hits.values())
    for n, url in enumerate([main, local_site.url("/news/harbour/amp")]):
        item = SourceItem.objects.create(source=feed, guid=f"m{n}", url=url, attempts=1)
        assert process_item(item, policy=local_policy).article_id == article.pk
    assert sum(local_site.hits.values()) == fetched
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_it_records_the_amphtml_link_of_a_main_page(
    local_site: LocalSite, local_policy: FetchPolicy
) -> None:
    local_site.add(
        "/news/bridge",
        article_page("Bridge reopens", story("bridge"),
                     extra_head='<link rel="amphtml" href="https://amp.example.org/bridge">'),
    )  # fmt: skip
    gazette = Outlet.objects.create(name="Gazette", slug="gazette")
    source = Source.objects.create(outlet=gazette, url=local_site.url("/feed"))
    item = SourceItem.objects.create(
        source=source, guid="b", url=local_site.url("/news/bridge"), attempts=1
    )  # noqa: E501
    article_id = process_item(item, policy=local_policy).article_id
    alias = ArticleAlias.objects.get(url="https://amp.example.org/bridge")
    assert alias.article_id == article_id
    assert re.match(r"http://127\.0\.0\.1:\d+/news/bridge$", alias.article.canonical_url)


@pytest.mark.django_db
def test_it_backfills_band_keys_for_articles_stored_before_the_index() -> None:
    texts = ["\n".join(story("old-1")), "\n".join(story("old-2")), "…"]
    for n, text in enumerate(texts):
        put("gazette", f"https://gazette.example/old-{n}", text, hours_ago=10)
    ArticleBand.objects.all().delete()
    call_command("indexarticles", stdout=io.StringIO())
    assert ArticleBand.objects.count() == 2 * identity.BANDS
    copy = put("post", "https://post.example/copy", texts[0] + " Ends.", hours_ago=1)
    assert copy.duplicate_of is not None
    assert copy.duplicate_of.canonical_url == "https://gazette.example/old-0"
