"""Hostile sources, crawled for real: what a source says must never crash the crawler,
and must end as a clear status on that source while the others keep working."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError
from django.utils import timezone

from newsdesk.lib.http import FetchPolicy, HttpClient
from newsdesk.sources import crawl as crawl_module
from newsdesk.sources import schedule
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.scheduler import Scheduler
from newsdesk.sources.tests.servers import ALLOWED, RSS, FeedBuilder, Site
from newsdesk.sources.tests.test_crawl_faults import crawl

pytestmark = pytest.mark.django_db


@pytest.fixture
def bad(outlet: Outlet, site: Site) -> Source:
    return Source.objects.create(outlet=outlet, url=site.url("/feed.xml"))


def busy_feed(site: Site) -> bytes:
    """A feed posting every ten minutes: polled every five minutes unless told otherwise."""
    now = timezone.now()
    items = [
        f"<item><title>Busy {n}</title><link>{site.url(f'/news/2026/busy-story-{n}')}</link>"
        f"<pubDate>{(now - n * dt.timedelta(minutes=10)).strftime('%a, %d %b %Y %H:%M:%S GMT')}"
        "</pubDate></item>"
        for n in range(1, 13)
    ]
    return FeedBuilder(site.url(), count=0, items=items).build()


def test_it_survives_an_absurd_cache_control_max_age(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.route(
        "/feed.xml",
        200,
        busy_feed(site),
        content_type=RSS,
        Cache_Control="max-age=99999999999999999999",
    )
    bad = crawl(scheduler, bad, healthy)
    assert bad.status == Source.Status.OK
    assert SourceItem.objects.filter(source=bad).count() == 12
    # The server asked for "never": the longest interval we keep is a day.
    assert bad.interval_seconds == schedule.MAX_INTERVAL.total_seconds()


def test_it_polls_no_sooner_than_the_servers_cache_control_allows(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.route(
        "/feed.xml",
        200,
        busy_feed(site),
        content_type=RSS,
        Cache_Control="public, max-age=7200",
    )
    bad = crawl(scheduler, bad, healthy)
    assert bad.interval_seconds >= 7200
    assert bad.next_fetch_at >= timezone.now() + dt.timedelta(minutes=119)


NUL_RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Nul&#0;s</title>'
    "<item><title>Nul&#0; title</title><link>{base}/news/2026/nul&#0;-story</link>"
    "<guid>nul&#0;-1</guid><author>Ann&#0; Bee</author><category>Po&#0;litics</category>"
    "<description>Sum&#0;mary</description></item>"
    "<item><title>Clean</title><link>{base}/news/2026/clean-story</link></item>"
    "</channel></rss>"
)
NUL_JSON = (
    '{{"version": "https://jsonfeed.org/version/1.1", "title": "Nul\\u0000s", "items": ['
    '{{"id": "nul\\u0000-1", "url": "{base}/news/2026/nul\\u0000-story", '
    '"title": "Nul\\u0000 title", "summary": "Sum\\u0000mary", '
    '"authors": [{{"name": "Ann\\u0000 Bee"}}], "tags": ["Po\\u0000litics"]}}, '
    '{{"id": "clean", "url": "{base}/news/2026/clean-story", "title": "Clean"}}]}}'
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(NUL_RSS, RSS), (NUL_JSON, "application/feed+json")],
    ids=["rss", "json-feed"],
)
def test_it_keeps_nul_characters_out_of_what_it_stores(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source, body: str, content_type: str
) -> None:
    # PostgreSQL refuses NUL in text and JSON: one such entry failed the whole crawl step.
    site.route("/feed.xml", 200, body.format(base=site.url("")).encode(), content_type=content_type)
    bad = crawl(scheduler, bad, healthy)
    assert bad.status == Source.Status.OK, bad.last_error
    assert "\x00" not in bad.title
    rows = list(SourceItem.objects.filter(source=bad).order_by("id"))
    assert len(rows) == 2
    for row in rows:
        text = " ".join([row.guid, row.url, row.title, row.summary, *row.authors, *row.categories])
        assert "\x00" not in text
    assert rows[0].url == site.url("/news/2026/nul%00-story")
    assert (rows[0].title, rows[0].authors) == ("Nul title", ["Ann Bee"])


def test_it_shows_a_listing_the_database_refuses_on_the_source_and_goes_on(
    scheduler: Scheduler,
    site: Site,
    bad: Source,
    healthy: Source,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What PostgreSQL says of a value SQLite would take (a column too short for it).
    real = crawl_module._store_items

    def refuse(source: Source, listed: list[crawl_module.Listed], now: dt.datetime) -> int:
        if source.pk == bad.pk:
            raise DataError("value too long for type character varying(2000)")
        return real(source, listed, now)

    monkeypatch.setattr(crawl_module, "_store_items", refuse)
    site.route("/feed.xml", 200, FeedBuilder(site.url()).build(), content_type=RSS)
    bad = crawl(scheduler, bad, healthy)
    assert bad.status == Source.Status.ERROR
    assert bad.last_error == (
        "Could not store what it lists: value too long for type character varying(2000)"
    )
    assert bad.error_count == 1 and bad.next_fetch_at > timezone.now()


def test_a_section_page_with_200000_links_queues_no_more_than_a_feed_would(
    scheduler: Scheduler, site: Site, outlet: Outlet, healthy: Source
) -> None:
    links = "".join(f'<a href="/news/2026/03/story-{n:07d}">s</a>' for n in range(200_000))
    site.route(
        "/section", 200, f"<html><body>{links}</body></html>".encode(), content_type="text/html"
    )
    roomy = FetchPolicy(allow_networks=ALLOWED, max_bytes=32 * 1024 * 1024)
    bad = Source.objects.create(outlet=outlet, url=site.url("/section"), kind=Source.Kind.HTML)
    with HttpClient(roomy) as client, Scheduler(scheduler.config, client=client) as big:
        bad = crawl(big, bad, healthy)
    assert bad.status == Source.Status.OK
    assert SourceItem.objects.filter(source=bad).count() == crawl_module.MAX_PAGE_LINKS
    assert "the page links more than 5000 articles; only the first 5000" in bad.last_error


def test_it_skips_a_link_too_long_to_store_rather_than_cutting_it(
    scheduler: Scheduler, site: Site, outlet: Outlet, healthy: Source
) -> None:
    long_path = "/news/2026/" + "a" * 2100
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.url(long_path)}</loc></url>"
        f"<url><loc>{site.url('/news/2026/short-story')}</loc></url></urlset>"
    )
    site.route("/sitemap.xml", 200, sitemap.encode(), content_type="application/xml")
    bad = Source.objects.create(
        outlet=outlet, url=site.url("/sitemap.xml"), kind=Source.Kind.SITEMAP
    )
    bad = crawl(scheduler, bad, healthy)
    assert bad.status == Source.Status.OK
    urls = list(SourceItem.objects.filter(source=bad).values_list("url", flat=True))
    assert urls == [site.url("/news/2026/short-story")]
    assert "1 entries had a link over 2000 characters and were skipped" in bad.last_error


def test_a_source_that_crashes_its_recording_shows_it_and_the_batch_goes_on(
    scheduler: Scheduler,
    site: Site,
    bad: Source,
    healthy: Source,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for any unforeseen crash on what a server sent (an absurd max-age did
    # this): the source shows it instead of the fetch job dying on every claim.
    real = schedule.next_success_fetch

    def crash(
        now: dt.datetime,
        published: list[dt.datetime],
        headers: dict[str, str] | None = None,
        ttl: int | None = None,
    ) -> tuple[dt.datetime, dt.timedelta]:
        if (headers or {}).get("x-crash"):
            raise OverflowError("date value out of range")
        return real(now, published, headers, ttl)

    monkeypatch.setattr(schedule, "next_success_fetch", crash)
    site.route("/feed.xml", 200, FeedBuilder(site.url()).build(), content_type=RSS, X_Crash="1")
    bad = crawl(scheduler, bad, healthy)
    assert bad.status == Source.Status.ERROR
    assert bad.last_error == "Could not read it: internal error (OverflowError)"
    assert bad.next_fetch_at > timezone.now()


MARKUP_RSS = (
    '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<channel><title>Markup</title><item><title>One</title>"
    "<link>{base}/news/2026/one-story</link>"
    '<dc:creator>&lt;a href="http://evil.test/"&gt;Ann Bee&lt;/a&gt;</dc:creator></item>'
    "</channel></rss>"
)
MARKUP_JSON = (
    '{{"version": "https://jsonfeed.org/version/1.1", "title": "Markup", "items": ['
    '{{"id": "one", "url": "{base}/news/2026/one-story", "title": "One", '
    '"authors": [{{"name": "<a href=\\"http://evil.test/\\">Ann Bee</a>"}}]}}]}}'
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(MARKUP_RSS, RSS), (MARKUP_JSON, "application/feed+json")],
    ids=["rss", "json-feed"],
)
def test_it_keeps_markup_out_of_author_names(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source, body: str, content_type: str
) -> None:
    site.route("/feed.xml", 200, body.format(base=site.url("")).encode(), content_type=content_type)
    bad = crawl(scheduler, bad, healthy)
    assert SourceItem.objects.get(source=bad).authors == ["Ann Bee"]
