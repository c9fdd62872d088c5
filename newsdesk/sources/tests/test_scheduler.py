"""The fetch scheduler: concurrency, per-host limits and spacing as the servers see them."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import override_settings

from newsdesk.lib.http import HttpClient
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.scheduler import HostGate, Scheduler, SchedulerConfig
from newsdesk.sources.tests.servers import ALLOWED, POLICY, RSS, FeedBuilder, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def slow_sites() -> Iterator[list[Site]]:
    """Two hosts whose every answer takes 0.3 s, so overlapping requests are seen."""
    with Site("127.0.0.1", delay=0.3) as one, Site("127.0.0.3", delay=0.3) as two:
        yield [one, two]


def feeds(outlet: Outlet, site: Site, count: int) -> list[Source]:
    sources = []
    for n in range(count):
        path = f"/feed-{n}.xml"
        site.route(path, 200, FeedBuilder(site.url(), prefix=f"f{n}").build(), content_type=RSS)
        sources.append(Source.objects.create(outlet=outlet, url=site.url(path)))
    return sources


def run(config: SchedulerConfig) -> tuple[int, float]:
    with HttpClient(POLICY) as client, Scheduler(config, client=client) as scheduler:
        started = time.monotonic()
        results = scheduler.step()
        return len(results), time.monotonic() - started


def test_it_never_sends_a_host_more_than_its_limit_at_once(
    outlet: Outlet, slow_sites: list[Site]
) -> None:
    for site in slow_sites:
        feeds(outlet, site, 6)
    done, elapsed = run(SchedulerConfig(workers=8, per_host=2, host_spacing=0.0))
    assert done == 12
    assert [site.max_active for site in slow_sites] == [2, 2]
    # 6 requests per host, 2 at a time, 0.3 s each: about 0.9 s, both hosts in parallel;
    # one by one it would take 3.6 s.
    assert elapsed < 2.5
    assert SourceItem.objects.count() == 12 * 3


def test_it_spaces_requests_to_one_host(
    outlet: Outlet, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds(outlet, site, 4)
    # Spacing is a promise about when we start requests; the server's arrival times add
    # thread and network jitter on a loaded machine, so the starts are taken client-side.
    starts: list[float] = []
    real_fetch = HttpClient.fetch

    def recording_fetch(self: HttpClient, url: str, **kwargs: object) -> object:
        starts.append(time.monotonic())
        return real_fetch(self, url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(HttpClient, "fetch", recording_fetch)
    run(SchedulerConfig(workers=8, per_host=2, host_spacing=0.25))
    starts.sort()
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 4 and len(site.seen) == 4
    assert min(gaps) >= 0.24


def test_it_shares_due_sources_between_schedulers(outlet: Outlet, site: Site) -> None:
    feeds(outlet, site, 5)
    config = SchedulerConfig(batch=3)
    client = HttpClient(POLICY)
    with Scheduler(config, client=client) as one, Scheduler(config, client=client) as two:
        first, second = one.claim_batch(), two.claim_batch()
    assert (len(first), len(second)) == (3, 2)
    assert not {s.pk for s in first} & {s.pk for s in second}


def test_it_keeps_a_host_waiting_only_while_it_is_busy() -> None:
    now = [100.0]
    gate = HostGate(per_host=2, spacing=1.0, clock=lambda: now[0])
    assert gate.delay("a") == 0.0
    gate.start("a")
    assert gate.delay("a") == 1.0  # spacing
    now[0] += 1.0
    gate.start("a")
    assert gate.delay("a") is None  # at its limit until one finishes
    assert gate.delay("b") == 0.0  # other hosts are not held up
    gate.done("a")
    now[0] += 1.0
    assert gate.delay("a") == 0.0


def test_it_runs_as_the_fetchsources_job(outlet: Outlet, site: Site) -> None:
    feeds(outlet, site, 2)
    with override_settings(
        NEWSDESK_FETCH_ALLOW_NETWORKS=list(ALLOWED), NEWSDESK_FETCH_HOST_SPACING=0
    ):
        call_command("fetchsources", stdout=(out := io.StringIO()))
    assert Source.objects.filter(status=Source.Status.OK).count() == 2
    assert "fetchsources: 1 steps" in out.getvalue()
