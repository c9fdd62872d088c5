"""Learning an outlet's boilerplate from its other pages, through the real ingest step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from newsdesk.articles import boilerplate
from newsdesk.articles.boilerplate import MIN_ARTICLES, learn_from_page, learned, prune
from newsdesk.articles.extract import block_fingerprints
from newsdesk.articles.ingest import process_item
from newsdesk.articles.models import Article, SiteBlock
from newsdesk.articles.tests.conftest import LocalSite, article_page, story
from newsdesk.lib.http import FetchPolicy
from newsdesk.sources.models import Outlet, Source, SourceItem

pytestmark = pytest.mark.django_db

SIGN_UP = (
    "Join 40,000 readers who start the day with the Gazette morning briefing on council, "
    "ferry and port news, delivered before eight every weekday."
)


def with_sign_up(title: str, seed: str) -> str:
    paragraphs = story(seed)
    # Mid-article, where the extractor has no reason to think it is not text.
    return article_page(title, [*paragraphs[:3], SIGN_UP, *paragraphs[3:]])


def make_source(site: LocalSite, slug: str = "gazette") -> Source:
    outlet = Outlet.objects.create(name=slug.title(), slug=slug, home_url=site.url("/"))
    return Source.objects.create(outlet=outlet, url=site.url(f"/{slug}/feed.xml"))


def ingest(site: LocalSite, source: Source, path: str, policy: FetchPolicy) -> Article:
    item = SourceItem.objects.create(source=source, guid=path, url=site.url(path), attempts=1)
    result = process_item(item, policy=policy)
    assert result.state == SourceItem.State.DONE, result.message
    assert result.article_id is not None
    return Article.objects.get(pk=result.article_id)


def test_it_drops_a_recurring_sign_up_box_once_learned(
    local_site: LocalSite, local_policy: FetchPolicy
) -> None:
    source = make_source(local_site)
    for n in range(MIN_ARTICLES + 1):
        local_site.add(f"/news/{n}", with_sign_up(f"Story number {n}", seed=f"story-{n}"))
    first = ingest(local_site, source, "/news/0", local_policy)
    assert SIGN_UP in first.text  # the extractor alone keeps it
    for n in range(1, MIN_ARTICLES):
        assert SIGN_UP in ingest(local_site, source, f"/news/{n}", local_policy).text
    learned_now = learned(source.outlet)
    assert len(learned_now) >= 1
    later = ingest(local_site, source, f"/news/{MIN_ARTICLES}", local_policy)
    assert SIGN_UP not in later.text
    assert story(f"story-{MIN_ARTICLES}")[0] in later.text  # the story itself stays


def test_it_counts_each_article_once(local_site: LocalSite, local_policy: FetchPolicy) -> None:
    source = make_source(local_site)
    page = with_sign_up("One story", seed="once")
    local_site.add("/news/once", page)
    local_site.add("/news/once-again", page)  # a second URL of the same page
    ingest(local_site, source, "/news/once", local_policy)
    ingest(local_site, source, "/news/once-again", local_policy)
    counts = set(SiteBlock.objects.filter(outlet=source.outlet).values_list("article_count"))
    assert counts == {(1,)}
    assert learned(source.outlet) == frozenset()


def test_it_learns_per_outlet(local_site: LocalSite, local_policy: FetchPolicy) -> None:
    gazette = make_source(local_site, "gazette")
    other = make_source(local_site, "other")
    for n in range(MIN_ARTICLES):
        local_site.add(f"/g/{n}", with_sign_up(f"Gazette {n}", seed=f"g{n}"))
        ingest(local_site, gazette, f"/g/{n}", local_policy)
    local_site.add("/o/1", with_sign_up("Other outlet story", seed="o1"))
    assert SIGN_UP in ingest(local_site, other, "/o/1", local_policy).text
    assert learned(other.outlet) == frozenset()
    assert learned(gazette.outlet)


def test_it_forgets_old_single_blocks_and_caps_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outlet = Outlet.objects.create(name="Gazette", slug="gazette")
    now = timezone.now()
    long_ago = now - boilerplate.FORGET_SINGLES_AFTER - dt.timedelta(days=1)
    url = "https://gazette.example/a"
    for n in range(MIN_ARTICLES):
        learn_from_page(outlet, with_sign_up(f"Story {n}", seed=f"s{n}"), url, long_ago)
    boxes = set(learned(outlet))
    assert boxes
    deleted = prune(outlet, now)
    # Every story paragraph was seen once, long ago: forgotten. The box stays.
    assert deleted > 0
    assert set(SiteBlock.objects.filter(outlet=outlet).values_list("fingerprint", flat=True)) == (
        boxes
    )
    monkeypatch.setattr(boilerplate, "MAX_BLOCKS_PER_OUTLET", 10)
    monkeypatch.setattr(boilerplate, "PRUNE_SLACK", 0)
    learn_from_page(outlet, article_page("Fresh", story("fresh", 12)), url, now)
    assert SiteBlock.objects.filter(outlet=outlet).count() == 10
    assert set(learned(outlet)) == boxes  # the most seen blocks are the ones kept


def test_it_matches_the_fingerprints_the_extractor_uses() -> None:
    page = with_sign_up("A story", seed="fp")
    box_only = block_fingerprints(f"<html><body><p>{SIGN_UP}</p></body></html>")
    assert box_only <= block_fingerprints(page)
