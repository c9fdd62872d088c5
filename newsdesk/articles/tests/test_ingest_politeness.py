"""Page fetches under the per-host rules: a busy host's items wait (not failed, no try
spent), other hosts' items go on, and the page job spaces its requests."""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from newsdesk.articles import ingest
from newsdesk.articles.ingest import claim_pending_item, process_item
from newsdesk.articles.tests.conftest import LocalSite, article_page, story
from newsdesk.lib.http import FetchPolicy, HttpClient
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.politeness import BUSY_POLL, HostRules, LocalPoliteness, Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(local_site: LocalSite) -> Source:
    outlet = Outlet.objects.create(name="Gazette", slug="gazette", home_url=local_site.url("/"))
    return Source.objects.create(outlet=outlet, url=local_site.url("/feed"))


def add_item(source: Source, local_site: LocalSite, path: str, host: str = "127.0.0.1") -> int:
    local_site.add(path, article_page(f"Story {path}", story(path)))
    url = local_site.url(path).replace("127.0.0.1", host, 1)
    return SourceItem.objects.create(source=source, guid=url, url=url).pk


def test_a_busy_host_postpones_its_pages_without_a_try_and_others_go_on(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    first = add_item(source, local_site, "/a/1")
    second = add_item(source, local_site, "/a/2")
    elsewhere = add_item(source, local_site, "/b/1", host="localhost")  # same server
    gate = LocalPoliteness(HostRules(per_host=1, spacing=0.0))
    held = gate.acquire("127.0.0.1")  # another worker is fetching from 127.0.0.1
    assert isinstance(held, Slot)

    item = claim_pending_item()
    assert item is not None and item.pk == first
    before = timezone.now()
    result = process_item(item, policy=local_policy, politeness=gate)

    assert result.state == SourceItem.State.PENDING
    assert "127.0.0.1 is busy" in result.message
    waiting = SourceItem.objects.get(pk=first)
    assert (waiting.state, waiting.attempts, waiting.error) == ("pending", 0, "")
    assert waiting.retry_at is not None
    assert before + dt.timedelta(seconds=5) <= waiting.retry_at
    assert waiting.retry_at <= timezone.now() + dt.timedelta(seconds=7.5)
    # The host's other item waits as long, so the next claim goes to another host.
    assert SourceItem.objects.get(pk=second).retry_at == waiting.retry_at
    assert SourceItem.objects.get(pk=elsewhere).retry_at is None
    source.refresh_from_db()
    assert (source.page_error_count, source.last_page_error) == (0, "")
    assert local_site.hits == {}

    other = claim_pending_item()
    assert other is not None and other.pk == elsewhere
    assert process_item(other, policy=local_policy, politeness=gate).state == "done"
    assert local_site.hits["/b/1"] == 1
    assert claim_pending_item() is None  # nothing spins on the waiting host's items

    # Later: the slot is free and the wait over; the item is fetched on its first try.
    gate.release(held)
    SourceItem.objects.filter(pk__in=[first, second]).update(retry_at=timezone.now())
    again = claim_pending_item()
    assert again is not None and again.pk == first
    assert process_item(again, policy=local_policy, politeness=gate).state == "done"
    assert SourceItem.objects.get(pk=first).attempts == 1


def test_a_page_waits_its_turn_when_the_slot_frees_soon(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    pk = add_item(source, local_site, "/a/1")
    gate = LocalPoliteness(HostRules(per_host=1, spacing=0.5))
    earlier = gate.acquire("127.0.0.1")
    assert isinstance(earlier, Slot)
    gate.release(earlier)  # a request just started: the next may start 0.5 s later
    item = SourceItem.objects.get(pk=pk)
    started = time.monotonic()
    assert process_item(item, policy=local_policy, politeness=gate).state == "done"
    assert time.monotonic() - started >= 0.45


def test_asking_for_robots_txt_is_a_request_of_its_own_spaced_from_the_page(
    local_site: LocalSite,
    source: Source,
    local_policy: FetchPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = add_item(source, local_site, "/a/1"), add_item(source, local_site, "/a/2")
    starts: list[tuple[str, float]] = []
    real_fetch = HttpClient.fetch

    def recording_fetch(self: HttpClient, url: str, **kwargs: Any) -> Any:
        starts.append((url.rsplit("/", 1)[-1], time.monotonic()))
        return real_fetch(self, url, **kwargs)

    monkeypatch.setattr(HttpClient, "fetch", recording_fetch)
    gate = LocalPoliteness(HostRules(per_host=1, spacing=0.4))
    for pk in (first, second):
        item = SourceItem.objects.get(pk=pk)
        assert process_item(item, policy=local_policy, politeness=gate).state == "done"
    # robots.txt once (then cached), and every request 0.4 s after the one before.
    assert [name for name, _ in starts] == ["robots.txt", "1", "2"]
    times = [at for _, at in starts]
    assert min(later - earlier for earlier, later in zip(times, times[1:], strict=False)) >= 0.38


def test_the_slot_is_given_back_whatever_the_fetch_did(
    local_site: LocalSite, source: Source, local_policy: FetchPolicy
) -> None:
    gate = LocalPoliteness(HostRules(per_host=1, spacing=0.0))
    missing = SourceItem.objects.create(source=source, guid="404", url=local_site.url("/gone"))
    refused = SourceItem.objects.create(source=source, guid="ref", url="http://10.9.8.7/page")
    assert process_item(missing, policy=local_policy, politeness=gate).state == "failed"
    assert process_item(refused, policy=local_policy, politeness=gate).state == "failed"
    assert isinstance(gate.acquire("127.0.0.1"), Slot)
    assert isinstance(gate.acquire("10.9.8.7"), Slot)
    assert gate.acquire("127.0.0.1") == BUSY_POLL


def test_the_fetchpages_job_spaces_its_requests_to_one_host(
    local_site: LocalSite, source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        add_item(source, local_site, f"/a/{n}")
    starts: list[float] = []
    real_fetch = ingest.fetch

    def recording_fetch(url: str, **kwargs: Any) -> Any:
        starts.append(time.monotonic())
        return real_fetch(url, **kwargs)

    monkeypatch.setattr(ingest, "fetch", recording_fetch)
    with override_settings(
        NEWSDESK_FETCH_ALLOW_NETWORKS=["127.0.0.1/32"],
        NEWSDESK_FETCH_PER_HOST=2,
        NEWSDESK_FETCH_HOST_SPACING=0.4,
    ):
        call_command("fetchpages", stdout=io.StringIO())
    assert SourceItem.objects.filter(state=SourceItem.State.DONE).count() == 3
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 3
    # Client-side starts; the first page's also waited for its robots.txt, under one slot.
    assert min(gaps) >= 0.35
