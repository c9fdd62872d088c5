"""Per-host politeness, both backends: limits, spacing, release, and a dead holder's slot.

The Redis backend is tested against the real Redis on 127.0.0.1 (NEWSDESK_TEST_REDIS_URL),
each test under its own key prefix. Without Redis these tests are skipped, except under
CI=true, where they fail: they must not vanish from CI unnoticed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from newsdesk.conf import cache_config
from newsdesk.sources.politeness import (
    BUSY_POLL,
    HostRules,
    LocalPoliteness,
    Politeness,
    RedisPoliteness,
    Slot,
    acquire_within,
    host_of,
    politeness_from_settings,
    rules_from_settings,
)
from newsdesk.sources.tests.shared_redis import REDIS_URL, fresh_prefix

ROOT = Path(__file__).resolve().parents[3]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def prefix() -> Iterator[str]:
    yield from fresh_prefix()


def shared(prefix: str, per_host: int, spacing: float) -> RedisPoliteness:
    """One process's view of the shared rules (a second call: another process's)."""
    return RedisPoliteness(HostRules(per_host=per_host, spacing=spacing), REDIS_URL, prefix)


# --------------------------------------------------------------------------- in-process


def test_local_allows_per_host_requests_at_once_and_other_hosts_meanwhile() -> None:
    gate = LocalPoliteness(HostRules(per_host=2, spacing=0.0))
    first, second = gate.acquire("a.example"), gate.acquire("a.example")
    assert isinstance(first, Slot) and isinstance(second, Slot)
    assert first.token != second.token
    assert gate.acquire("a.example") == BUSY_POLL
    assert isinstance(gate.acquire("b.example"), Slot)
    gate.release(first)
    assert isinstance(gate.acquire("a.example"), Slot)


def test_local_spaces_the_starts_of_requests_to_one_host() -> None:
    clock = FakeClock()
    gate = LocalPoliteness(HostRules(per_host=5, spacing=1.5), clock=clock)
    slot = gate.acquire("a.example")
    assert isinstance(slot, Slot)
    gate.release(slot)  # spacing is between starts: a finished request does not reset it
    assert gate.acquire("a.example") == pytest.approx(1.5)
    clock.now += 1.0
    assert gate.acquire("a.example") == pytest.approx(0.5)
    clock.now += 0.5
    assert isinstance(gate.acquire("a.example"), Slot)


def test_local_release_of_one_slot_frees_one_slot_once() -> None:
    gate = LocalPoliteness(HostRules(per_host=1, spacing=0.0))
    slot = gate.acquire("a.example")
    assert isinstance(slot, Slot)
    gate.release(slot)
    again = gate.acquire("a.example")
    assert isinstance(again, Slot)
    gate.release(slot)  # a second release of the old slot must not free the new one
    assert gate.acquire("a.example") == BUSY_POLL


def test_local_slot_never_released_frees_when_its_lease_ends() -> None:
    clock = FakeClock()
    gate = LocalPoliteness(HostRules(per_host=1, spacing=0.0, lease=60.0), clock=clock)
    lost = gate.acquire("a.example")
    assert isinstance(lost, Slot)  # its thread died without releasing it
    clock.now += 59.0
    assert gate.acquire("a.example") == BUSY_POLL
    clock.now += 1.0
    assert isinstance(gate.acquire("a.example"), Slot)
    gate.release(lost)  # too late: changes nothing
    assert gate.acquire("a.example") == BUSY_POLL


def holders_at_once(make: list[Politeness], host: str, threads: int, rounds: int) -> int:
    """Threads acquire, hold a moment and release; the most slots ever held at once."""
    lock = threading.Lock()
    held = peak = 0

    def worker(gate: Politeness) -> None:
        nonlocal held, peak
        for _ in range(rounds):
            got = acquire_within(gate, host, 10.0, sleep=lambda s: time.sleep(min(s, 0.005)))
            assert isinstance(got, Slot)
            with lock:
                held += 1
                peak = max(peak, held)
            time.sleep(0.002)
            with lock:
                held -= 1
            gate.release(got)

    running = [threading.Thread(target=worker, args=(make[n % len(make)],)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(30)
    return peak


def test_local_holds_the_limit_for_many_threads() -> None:
    gate = LocalPoliteness(HostRules(per_host=2, spacing=0.0))
    assert holders_at_once([gate], "a.example", threads=8, rounds=25) == 2


# -------------------------------------------------------------------------------- Redis


def test_shared_limit_holds_across_processes(prefix: str) -> None:
    one, two = shared(prefix, per_host=2, spacing=0.0), shared(prefix, per_host=2, spacing=0.0)
    first, second = one.acquire("a.example"), two.acquire("a.example")
    assert isinstance(first, Slot) and isinstance(second, Slot)
    assert one.acquire("a.example") == BUSY_POLL
    assert two.acquire("a.example") == BUSY_POLL
    assert isinstance(two.acquire("b.example"), Slot)  # other hosts are not held up
    one.release(first)
    assert isinstance(two.acquire("a.example"), Slot)


def test_shared_spacing_holds_across_processes(prefix: str) -> None:
    one, two = shared(prefix, per_host=5, spacing=0.4), shared(prefix, per_host=5, spacing=0.4)
    started = time.monotonic()
    slot = one.acquire("a.example")
    assert isinstance(slot, Slot)
    wait = two.acquire("a.example")
    assert isinstance(wait, float) and 0.0 < wait <= 0.4
    got = acquire_within(two, "a.example", 2.0)
    assert isinstance(got, Slot)
    assert time.monotonic() - started >= 0.35  # the Redis server's clock, seen from here


def test_shared_release_frees_the_slot_for_another_process(prefix: str) -> None:
    one, two = shared(prefix, per_host=1, spacing=0.0), shared(prefix, per_host=1, spacing=0.0)
    slot = one.acquire("a.example")
    assert isinstance(slot, Slot)
    assert two.acquire("a.example") == BUSY_POLL
    one.release(slot)
    assert isinstance(two.acquire("a.example"), Slot)


def test_shared_holds_the_limit_for_many_threads_in_two_processes(prefix: str) -> None:
    gates: list[Politeness] = [shared(prefix, per_host=2, spacing=0.0) for _ in range(2)]
    assert holders_at_once(gates, "a.example", threads=8, rounds=15) == 2


HOLD_AND_HANG = """
import sys, time
from newsdesk.sources.politeness import HostRules, RedisPoliteness, Slot
gate = RedisPoliteness(HostRules(per_host=1, spacing=0.0, lease=1.5), sys.argv[1], sys.argv[2])
assert isinstance(gate.acquire("a.example"), Slot)
print("holding", flush=True)
time.sleep(60)
"""


def test_shared_slot_of_a_killed_process_frees_when_its_lease_ends(prefix: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_HANG, REDIS_URL, prefix],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsdesk.settings"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        holder.send_signal(signal.SIGKILL)  # dies mid-request: no release, ever
        holder.wait(10)
        killed_at = time.monotonic()
        survivor = shared(prefix, per_host=1, spacing=0.0)
        assert survivor.acquire("a.example") == BUSY_POLL
        got = acquire_within(survivor, "a.example", 5.0)
        assert isinstance(got, Slot)
        assert time.monotonic() - killed_at < 2.5  # at the lease's end, not much later
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


# ----------------------------------------------------------------------------- settings


def test_it_shares_the_rules_through_redis_when_the_cache_is_redis() -> None:
    with override_settings(CACHES=cache_config(REDIS_URL)):
        assert isinstance(politeness_from_settings(), RedisPoliteness)
    with override_settings(CACHES=cache_config("")):
        assert isinstance(politeness_from_settings(), LocalPoliteness)


def test_a_slot_outlives_the_fetch_deadline_twice_over() -> None:
    with override_settings(
        NEWSDESK_FETCH_DEADLINE=45.0, NEWSDESK_FETCH_PER_HOST=3, NEWSDESK_FETCH_HOST_SPACING=2.5
    ):
        rules = rules_from_settings()
    assert (rules.per_host, rules.spacing) == (3, 2.5)
    assert rules.lease > 2 * 45.0  # robots.txt and the page, each up to the deadline


def test_unusable_rules_are_refused_with_their_values() -> None:
    with pytest.raises(ValueError, match="per_host=0"):
        HostRules(per_host=0)


def test_acquire_within_waits_out_spacing_but_not_a_busy_host() -> None:
    clock = FakeClock()
    gate = LocalPoliteness(HostRules(per_host=1, spacing=2.0), clock=clock)
    first = gate.acquire("a.example")
    assert isinstance(first, Slot)
    gate.release(first)
    got = acquire_within(gate, "a.example", 3.0, sleep=clock.sleep, clock=clock)
    assert isinstance(got, Slot) and clock.now == pytest.approx(1002.0)
    # Now at its limit: polled until the patience runs out, then the wait is returned.
    assert acquire_within(gate, "a.example", 1.0, sleep=clock.sleep, clock=clock) == BUSY_POLL
    assert clock.now == pytest.approx(1003.0)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://News.Example.COM:8443/a", "news.example.com"),
        ("http://127.0.0.1:8000/feed", "127.0.0.1"),
        ("http://[::1]:80/", "::1"),
        ("not a url", ""),
        ("http://[bad/", ""),
    ],
)
def test_the_host_is_the_lower_cased_name_without_port(url: str, host: str) -> None:
    assert host_of(url) == host


def test_unreachable_redis_counts_in_the_process_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on port 1: every Redis call is refused at once.
    gone = RedisPoliteness(HostRules(per_host=2, spacing=0.0), "redis://127.0.0.1:1/0", "t")
    with caplog.at_level("WARNING", logger="newsdesk.sources.politeness"):
        first, second = gone.acquire("news.example"), gone.acquire("news.example")
        assert isinstance(first, Slot) and isinstance(second, Slot)
        assert gone.acquire("news.example") == BUSY_POLL  # the limit still holds, locally
        gone.release(first)
        assert isinstance(gone.acquire("news.example"), Slot)
    outage = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(outage) == 1
    assert "counting in this process until it is back" in outage[0].getMessage()


def test_the_shared_count_resumes_when_redis_answers_again(
    prefix: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    limits = shared(prefix, per_host=1, spacing=0.0)
    script = limits._script
    calls = iter([redis.ConnectionError("connection refused")])

    def flaky(**kwargs: object) -> object:
        for error in calls:
            raise error
        return script(**kwargs)

    monkeypatch.setattr(limits, "_script", flaky)
    with caplog.at_level("WARNING", logger="newsdesk.sources.politeness"):
        local = limits.acquire("news.example")  # Redis down: counted here
        shared_slot = limits.acquire("news.example")  # back: counted in Redis again
    assert isinstance(local, Slot) and local.token.startswith("local:")
    assert isinstance(shared_slot, Slot) and not shared_slot.token.startswith("local:")
    assert shared(prefix, per_host=1, spacing=0.0).acquire("news.example") == BUSY_POLL
    assert "Redis is back" in caplog.text
    limits.release(local)
    limits.release(shared_slot)
