"""Hostile article pages through the real ingest path: a page can fail its own item, with
the reason shown, but never another article nor the worker."""

from __future__ import annotations

import pytest
from django.db import DataError

from newsdesk.articles import ingest
from newsdesk.articles.ingest import process_item
from newsdesk.articles.models import Article, Author
from newsdesk.articles.tests.conftest import LocalSite, article_page, story
from newsdesk.lib.http import FetchPolicy
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.tests.servers import POLICY, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(local_site: LocalSite) -> Source:
    outlet = Outlet.objects.create(name="Gazette", slug="gazette", home_url=local_site.url("/"))
    return Source.objects.create(outlet=outlet, url=local_site.url("/feed"))


def run(site: LocalSite | Site, source: Source, path: str, policy: FetchPolicy) -> SourceItem:
    item = SourceItem.objects.create(source=source, guid=path, url=site.url(path))
    process_item(item, policy=policy)
    item.refresh_from_db()
    return item


def test_articles_whose_canonical_names_the_home_page_stay_apart(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    # A CMS misconfiguration seen in the wild: every page's rel=canonical is the home page.
    for n in range(3):
        home = local_site.url("/")
        local_site.add(f"/news/{n}", article_page(f"Story {n}", story(f"s{n}"), canonical=home))
        assert run(local_site, source, f"/news/{n}", local_policy).state == "done"
    stored = Article.objects.order_by("canonical_url")
    assert [a.canonical_url for a in stored] == [local_site.url(f"/news/{n}") for n in range(3)]
    assert [a.title for a in stored] == ["Story 0", "Story 1", "Story 2"]


def test_a_canonical_too_long_to_store_gives_way_to_the_page_address(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    canonical = local_site.url("/news/" + "x" * 2100)
    local_site.add("/news/long", article_page("Long canonical", story("long"), canonical=canonical))
    item = run(local_site, source, "/news/long", local_policy)
    assert item.state == SourceItem.State.DONE
    assert Article.objects.get().canonical_url == local_site.url("/news/long")


def test_a_page_reached_at_an_address_too_long_to_store_fails_with_the_reason(
    db: None,
) -> None:
    with Site("127.0.0.1") as site:
        outlet = Outlet.objects.create(name="Gazette", slug="gazette", home_url=site.url("/"))
        source = Source.objects.create(outlet=outlet, url=site.url("/feed"))
        target = "/news/" + "y" * 2100
        site.route("/news/short", 301, b"", Location=site.url(target))
        site.route(
            target, 200, article_page("Far away", story("far")).encode(), content_type="text/html"
        )
        site.route("/robots.txt", 404, b"")
        item = run(site, source, "/news/short", POLICY)
    assert item.state == SourceItem.State.FAILED
    assert item.error == "The page's address is over 2000 characters"
    assert Article.objects.count() == 0
    source.refresh_from_db()
    assert item.error in source.last_page_error


def test_a_page_the_database_refuses_fails_its_item_and_the_next_page_is_stored(
    local_site: LocalSite,
    source: Source,
    local_policy: FetchPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What PostgreSQL says of a value SQLite would take (a column too short for it).
    real = ingest.set_byline

    def refuse(article: Article, outlet: Outlet, names: list[str], bios: dict[str, str]) -> object:
        if article.title == "Refused":
            raise DataError("value too long for type character varying(200)")
        return real(article, outlet, names, bios)

    monkeypatch.setattr(ingest, "set_byline", refuse)
    local_site.add("/news/refused", article_page("Refused", story("refused")))
    local_site.add("/news/fine", article_page("Fine", story("fine")))
    refused = run(local_site, source, "/news/refused", local_policy)
    assert refused.state == SourceItem.State.FAILED
    assert refused.error == (
        "Could not store the page: value too long for type character varying(200)"
    )
    assert run(local_site, source, "/news/fine", local_policy).state == SourceItem.State.DONE
    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]  # all or nothing


def test_a_page_that_crashes_the_pipeline_fails_its_item_and_the_worker_goes_on(
    local_site: LocalSite,
    source: Source,
    local_policy: FetchPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for any unforeseen crash on a hostile page (e.g. a response header the
    # HTTP client cannot parse): the item shows it instead of the worker dying on it.
    real = ingest.find_bios

    def crash(body: bytes, names: list[str]) -> dict[str, str]:
        if b"Crashing" in body:
            raise RecursionError("maximum recursion depth exceeded")
        return real(body, names)

    monkeypatch.setattr(ingest, "find_bios", crash)
    local_site.add("/news/crash", article_page("Crashing", story("crash")))
    local_site.add("/news/fine", article_page("Fine", story("fine")))
    crashed = run(local_site, source, "/news/crash", local_policy)
    assert crashed.state == SourceItem.State.FAILED
    assert crashed.error == "Could not process the page: internal error (RecursionError)"
    source.refresh_from_db()
    assert crashed.error in source.last_page_error
    assert run(local_site, source, "/news/fine", local_policy).state == SourceItem.State.DONE
    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]


def test_a_feed_author_name_too_long_for_a_person_is_left_off_the_byline(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    # The page names nobody, so the feed item's names are used; a flood of text is no
    # name, and its first 200 characters would make up an author.
    local_site.add("/news/flood", article_page("Flooded byline", story("flood"), author=""))
    item = SourceItem.objects.create(
        source=source,
        guid="flood",
        url=local_site.url("/news/flood"),
        authors=["Lorem ipsum " * 500, "Mira Castell"],
    )
    process_item(item, policy=local_policy)
    item.refresh_from_db()
    assert item.article is not None
    assert [b.author.name for b in item.article.bylines.select_related("author")] == [
        "Mira Castell"
    ]
    assert Author.objects.count() == 1
