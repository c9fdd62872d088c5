"""The scheduler under per-host rules it shares with others: a host busy elsewhere waits,
other hosts go on, and a source is never held forever."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from django.utils import timezone

from newsdesk.lib.http import HttpClient
from newsdesk.sources.models import Outlet, Source
from newsdesk.sources.politeness import (
    BUSY_POLL,
    HostRules,
    LocalPoliteness,
    Politeness,
    RedisPoliteness,
    Slot,
)
from newsdesk.sources.scheduler import Scheduler, SchedulerConfig
from newsdesk.sources.tests.servers import POLICY, RSS, FeedBuilder, Site
from newsdesk.sources.tests.shared_redis import REDIS_URL, fresh_prefix

pytestmark = pytest.mark.django_db


@pytest.fixture
def prefix() -> Iterator[str]:
    yield from fresh_prefix()


def feed(outlet: Outlet, site: Site, name: str) -> Source:
    path = f"/{name}.xml"
    site.route(path, 200, FeedBuilder(site.url(), prefix=name).build(), content_type=RSS)
    return Source.objects.create(outlet=outlet, url=site.url(path))


def scheduler(politeness: Politeness, hold: float = 120.0) -> Scheduler:
    config = SchedulerConfig(workers=4, per_host=1, host_spacing=0.0, batch=10, hold=hold)
    return Scheduler(config, client=HttpClient(POLICY), politeness=politeness)


def test_a_host_busy_in_another_process_waits_while_other_hosts_are_crawled(
    outlet: Outlet, site: Site, healthy_site: Site, prefix: str
) -> None:
    rules = HostRules(per_host=1, spacing=0.0)
    elsewhere = RedisPoliteness(rules, REDIS_URL, prefix)  # another fetching process
    held = elsewhere.acquire(site.host)
    assert isinstance(held, Slot)
    busy, other = feed(outlet, site, "busy"), feed(outlet, healthy_site, "other")
    released_at: list[float] = []

    def finish_elsewhere() -> None:
        released_at.append(time.monotonic())
        elsewhere.release(held)

    timer = threading.Timer(0.6, finish_elsewhere)
    timer.start()
    try:
        with scheduler(RedisPoliteness(rules, REDIS_URL, prefix)) as running:
            results = running.step()
    finally:
        timer.cancel()
    assert sorted(r.source_id for r in results) == sorted([busy.pk, other.pk])
    assert all(r.ok for r in results)
    # The other host did not wait; the busy one got its request only once the slot freed.
    assert healthy_site.seen[0].started < released_at[0] <= site.seen[0].started


def test_a_source_whose_host_stays_busy_is_handed_back_due_and_uncrawled(
    outlet: Outlet, site: Site, healthy_site: Site
) -> None:
    gate = LocalPoliteness(HostRules(per_host=1, spacing=0.0))
    assert isinstance(gate.acquire(site.host), Slot)  # held and never given back
    busy, other = feed(outlet, site, "busy"), feed(outlet, healthy_site, "other")
    started = time.monotonic()
    with scheduler(gate, hold=0.5) as running:
        results = running.step()
    assert time.monotonic() - started < 5.0
    assert [r.source_id for r in results] == [other.pk]
    busy.refresh_from_db()
    # Due again for the next step (here or in another process), and no error recorded.
    assert busy.next_fetch_at <= timezone.now()
    assert (busy.last_fetched_at, busy.error_count, busy.last_error) == (None, 0, "")
    assert site.seen == []


def test_a_step_stopped_early_gives_its_slots_back(outlet: Outlet) -> None:
    gate = LocalPoliteness(HostRules(per_host=2, spacing=0.0))
    with Site("127.0.0.1", delay=0.3) as slow:
        for n in range(4):
            feed(outlet, slow, f"f{n}")
        running = scheduler(gate)
        steps = running.crawl_due()
        assert next(steps).ok  # the first lands; another request is still in flight
        steps.close()
        running.close()  # waits for the requests in flight
        running.client.close()
    assert isinstance(gate.acquire("127.0.0.1"), Slot)
    assert isinstance(gate.acquire("127.0.0.1"), Slot)
    assert gate.acquire("127.0.0.1") == BUSY_POLL
