"""Which outlet an article is credited to: the one whose site the page is on, whatever
feed linked to it, and never another one after an edit."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Iterator
from datetime import UTC

import pytest
from django.apps import apps
from pytest_django import DjangoAssertNumQueries

from newsdesk.articles.extract import Extraction
from newsdesk.articles.ingest import process_item
from newsdesk.articles.models import Article, Author, SiteBlock, SiteRule
from newsdesk.articles.store import store_article
from newsdesk.articles.tests.conftest import article_page, story
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.registry import outlet_for, site_outlet
from newsdesk.sources.tests.servers import POLICY, Site

pytestmark = pytest.mark.django_db

PROMO = (
    "Our readers' panel meets on Thursdays at the harbour office, and every reader of the "
    "Courier is welcome to come along and tell the editors what to cover next."
)


@pytest.fixture
def site_a() -> Iterator[Site]:
    with Site("127.0.0.1") as site:
        yield site


@pytest.fixture
def site_b() -> Iterator[Site]:
    # Another loopback address: not the same site as 127.0.0.1 (same_site ignores ports).
    with Site("127.0.0.2") as site:
        yield site


@pytest.fixture
def aggregator(site_a: Site) -> Source:
    outlet = Outlet.objects.create(name="Aggregator", slug="aggregator", home_url=site_a.url())
    return Source.objects.create(outlet=outlet, url=site_a.url("/feed"))


def courier(site_b: Site) -> Source:
    outlet = Outlet.objects.create(name="Courier", slug="courier", home_url=site_b.url())
    return Source.objects.create(outlet=outlet, url=site_b.url("/feed"))


def publish(site: Site, path: str, title: str, seed: str) -> None:
    """A page whose promo paragraph only a rule removing p.promo keeps out of the text."""
    page = article_page(title, story(seed), before=f'<p class="promo">{PROMO}</p>')
    site.route(path, 200, page.encode(), content_type="text/html; charset=utf-8")


def link(site: Site, path: str, target: str) -> None:
    site.route(path, 302, b"", Location=target)


def extraction(title: str, paragraphs: list[str]) -> Extraction:
    return Extraction(
        title=title, authors=(), published=None, modified=None, language="en",
        canonical_url=None, image=None, site_name=None, section=None,
        text="\n\n".join(paragraphs), html="", is_article=True, reason=None,
    )  # fmt: skip


def run(source: Source, url: str) -> SourceItem:
    item = SourceItem.objects.create(source=source, guid=url, url=url)
    result = process_item(item, policy=POLICY)
    assert result.state == SourceItem.State.DONE, result.message
    item.refresh_from_db()
    return item


# --------------------------------------------------------------------------- ingest


def test_a_link_redirected_to_a_known_outlets_site_is_that_outlets_article(
    site_a: Site, site_b: Site, aggregator: Source
) -> None:
    own = courier(site_b)
    SiteRule.objects.create(outlet=own.outlet, remove_selectors="p.promo")
    publish(site_b, "/news/ferry", "Ferry fares rise", "ferry")
    link(site_a, "/go/1", site_b.url("/news/ferry"))

    item = run(aggregator, site_a.url("/go/1"))

    article = Article.objects.get()
    assert item.article == article
    assert article.canonical_url == site_b.url("/news/ferry")
    assert article.outlet == own.outlet
    # Read with the Courier's rule, learned into the Courier's boilerplate, by its authors.
    assert PROMO not in article.text
    assert SiteBlock.objects.filter(outlet=own.outlet).exists()
    assert not SiteBlock.objects.filter(outlet=aggregator.outlet).exists()
    assert list(Author.objects.values_list("outlet__slug", "name")) == [("courier", "Mira Castell")]


def test_a_link_redirected_to_a_site_of_no_outlet_stays_with_the_items_outlet(
    site_a: Site, site_b: Site, aggregator: Source, caplog: pytest.LogCaptureFixture
) -> None:
    SiteRule.objects.create(outlet=aggregator.outlet, remove_selectors="p.promo")
    publish(site_b, "/news/ferry", "Ferry fares rise", "ferry")
    link(site_a, "/go/1", site_b.url("/news/ferry"))

    with caplog.at_level(logging.INFO, logger="newsdesk.articles.ingest"):
        run(aggregator, site_a.url("/go/1"))

    article = Article.objects.get()
    assert article.canonical_url == site_b.url("/news/ferry")
    assert article.outlet == aggregator.outlet
    assert PROMO not in article.text  # the outlet it is credited to reads it
    assert f"{site_b.url('/news/ferry')} is on no known outlet's site" in caplog.text
    aggregator.refresh_from_db()
    assert (aggregator.page_error_count, aggregator.last_page_error) == (0, "")


def test_an_outlets_article_fetched_again_through_another_outlets_feed_keeps_its_outlet(
    site_a: Site, site_b: Site, aggregator: Source
) -> None:
    own = courier(site_b)
    publish(site_b, "/news/ferry", "Ferry fares rise", "ferry")
    run(own, site_b.url("/news/ferry"))
    publish(site_b, "/news/ferry", "Ferry fares rise again", "ferry, edited")
    link(site_a, "/go/1", site_b.url("/news/ferry"))

    run(aggregator, site_a.url("/go/1"))

    article = Article.objects.get()
    assert article.outlet == own.outlet
    assert (article.title, article.title_history) == (
        "Ferry fares rise again",
        ["Ferry fares rise"],
    )
    assert set(Author.objects.values_list("outlet__slug", flat=True)) == {"courier"}


def test_an_edit_stored_under_another_outlet_does_not_move_the_article() -> None:
    courier_outlet = Outlet.objects.create(name="Courier", slug="courier")
    other = Outlet.objects.create(name="Other", slug="other")
    now = dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    url = "https://courier.example/news/ferry"
    first = extraction("Ferry fares rise", story("a"))
    article, created = store_article(courier_outlet, first, url, url, now, now)
    assert created

    edited = extraction("Ferry fares rise again", story("b"))
    again, created = store_article(other, edited, url, url, now, now + dt.timedelta(hours=1))

    assert (again.pk, created) == (article.pk, False)
    article.refresh_from_db()
    assert article.outlet == courier_outlet
    assert article.title == "Ferry fares rise again"


# --------------------------------------------------------------------------- site_outlet


def test_the_outlet_of_a_url_is_the_oldest_one_on_its_site(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    Outlet.objects.create(name="No home", slug="no-home", created=start)
    later = Outlet.objects.create(
        name="A later one", slug="later", home_url="https://example.com/", created=start
    )
    Outlet.objects.filter(pk=later.pk).update(created=start + dt.timedelta(days=2))
    oldest = Outlet.objects.create(
        name="Zed", slug="zed", home_url="https://www.example.com/", created=start
    )
    Outlet.objects.create(name="Other", slug="other", home_url="https://example.org/")

    with django_assert_num_queries(1):  # once per fetched page: one indexed lookup
        assert site_outlet("https://news.example.com/2026/story?x=1") == oldest
    assert site_outlet("http://EXAMPLE.com.:8080/") == oldest
    assert site_outlet("https://example.net/story") is None
    assert site_outlet("not a url") is None
    assert site_outlet("http://[::1/") is None
    assert outlet_for("https://example.com/feed") == oldest  # adding a source agrees


def test_an_outlets_site_follows_its_home_url() -> None:
    outlet = Outlet.objects.create(name="Courier", slug="courier", home_url="https://a.example/")
    outlet.home_url = "https://www.b.co.uk/news/"
    outlet.save(update_fields=["home_url"])  # as the OPML import does

    assert Outlet.objects.get(pk=outlet.pk).site == "b.co.uk"
    assert site_outlet("https://b.co.uk/x") == outlet
    assert site_outlet("https://a.example/x") is None


def test_the_migration_fills_the_site_of_existing_outlets() -> None:
    outlet = Outlet.objects.create(name="Courier", slug="courier", home_url="https://m.c.example/")
    bare = Outlet.objects.create(name="Bare", slug="bare")
    Outlet.objects.update(site="")  # as before the column existed
    migration = importlib.import_module("newsdesk.sources.migrations.0003_outlet_site")

    migration.fill_sites(apps, None)

    assert dict(Outlet.objects.values_list("pk", "site")) == {outlet.pk: "c.example", bare.pk: ""}
