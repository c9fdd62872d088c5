"""Hostile sources, crawled for real: what a source says must never crash the crawler,
and must end as a clear status on that source while the others keep working."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from newsdesk.sources import schedule
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.scheduler import Scheduler
from newsdesk.sources.tests.servers import RSS, FeedBuilder, Site
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
