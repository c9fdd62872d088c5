from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsdesk.lib.http import HttpClient
from newsdesk.sources import subscribers
from newsdesk.sources.models import Outlet, Source
from newsdesk.sources.scheduler import Scheduler, SchedulerConfig
from newsdesk.sources.tests.servers import POLICY, RSS, FeedBuilder, Site


@pytest.fixture
def site() -> Iterator[Site]:
    with Site("127.0.0.1") as running:
        yield running


@pytest.fixture
def healthy_site() -> Iterator[Site]:
    """Another host with a good feed, crawled in the same run as the faulty one."""
    with Site("127.0.0.2") as running:
        running.route(
            "/feed.xml", 200, FeedBuilder(running.url(), "Healthy").build(), content_type=RSS
        )
        yield running


@pytest.fixture
def outlet(db: None) -> Outlet:
    subscribers.forget()
    return Outlet.objects.create(name="Test Outlet", slug="test-outlet")


@pytest.fixture
def healthy(outlet: Outlet, healthy_site: Site) -> Source:
    return Source.objects.create(outlet=outlet, url=healthy_site.url("/feed.xml"))


@pytest.fixture
def scheduler() -> Iterator[Scheduler]:
    config = SchedulerConfig(workers=4, per_host=2, host_spacing=0.0, batch=50)
    with HttpClient(POLICY) as client, Scheduler(config, client=client) as running:
        yield running
