"""Run due sources concurrently, politely: a few requests at a time per host, spaced out.

One step claims a batch of due sources (``claim_due_source``: a conditional update, so
any number of scheduler processes can run side by side), fetches and parses them on a
small thread pool, and records each outcome as it arrives.

Only the network and parsing happen on the pool (``crawl.fetch_source`` touches no
database); every query and write happens on the calling thread. SQLite has a single
writer anyway, and Django connections are per thread, so this keeps one connection per
process and lets tests run the scheduler inside their transaction.

The per-host rules (``politeness.py``) are the ones article page fetches obey too: kept in
this process in the embedded mode, and in Redis, across every process and machine, when
NEWSDESK_CACHE_URL is set. A source whose host stays busy (others hold its slots) is
handed back, due, after ``hold``, so a step never sits on a claim it cannot start.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from newsdesk.lib.http import FetchPolicy, HttpClient
from newsdesk.sources.crawl import CrawlResult, Fetched, claim_due_source, fetch_source, record
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Source
from newsdesk.sources.politeness import (  # noqa: F401 - HostGate, host_of: public here too
    HostGate,
    Politeness,
    Slot,
    host_of,
    politeness_from_settings,
)
from newsdesk.sources.subscribers import subscriber_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerConfig:
    workers: int = 8
    per_host: int = 2  # concurrent requests to one host
    host_spacing: float = 1.0  # seconds between the starts of two requests to one host
    batch: int = 64  # sources claimed per step
    # Long enough for a batch to finish; the crawl then sets each source's real next time.
    lease: dt.timedelta = dt.timedelta(minutes=10)
    # A claimed source whose host gives no slot for this long is handed back, due.
    hold: float = 120.0

    @classmethod
    def from_settings(cls) -> SchedulerConfig:
        workers = int(getattr(settings, "NEWSDESK_FETCH_WORKERS", cls.workers))
        return cls(
            workers=max(1, workers),
            per_host=max(1, int(getattr(settings, "NEWSDESK_FETCH_PER_HOST", cls.per_host))),
            host_spacing=max(
                0.0, float(getattr(settings, "NEWSDESK_FETCH_HOST_SPACING", cls.host_spacing))
            ),
            batch=max(1, int(getattr(settings, "NEWSDESK_FETCH_BATCH", cls.batch))),
        )


class Scheduler:
    """Keeps one pooled HTTP client (keep-alive), one thread pool and the per-host rules
    across steps."""

    def __init__(
        self,
        config: SchedulerConfig | None = None,
        policy: FetchPolicy | None = None,
        client: HttpClient | None = None,
        clock: Callable[[], dt.datetime] = timezone.now,
        politeness: Politeness | None = None,
    ) -> None:
        self.config = config or SchedulerConfig.from_settings()
        self._owns_client = client is None
        self.client = client or HttpClient(policy or policy_from_settings())
        self.clock = clock
        self.politeness = politeness or politeness_from_settings(
            self.config.per_host, self.config.host_spacing
        )
        self._pool = ThreadPoolExecutor(self.config.workers, thread_name_prefix="newsdesk-fetch")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Scheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def claim_batch(self, limit: int | None = None) -> list[Source]:
        now = self.clock()
        claimed: list[Source] = []
        while len(claimed) < (limit or self.config.batch):
            source = claim_due_source(now, self.config.lease)
            if source is None:
                break
            claimed.append(source)
        return claimed

    def step(self) -> list[CrawlResult]:
        """Crawl one batch of due sources; [] when nothing was due."""
        return list(self.crawl_due())

    def crawl_due(self) -> Generator[CrawlResult, None, None]:
        """Crawl up to ``batch`` due sources, yielding results as they land.

        Sources are claimed a few at a time, when a worker is free and no claimed
        source may start (its host busy or spacing its requests): a step never holds
        more claims than it can soon start, and other schedulers get the rest.
        """
        budget = self.config.batch

        def refill() -> list[Source]:
            nonlocal budget
            claimed = self.claim_batch(min(self.config.workers, budget)) if budget else []
            budget -= len(claimed)
            return claimed

        return self.run([], refill)

    def run(
        self, sources: list[Source], refill: Callable[[], list[Source]] | None = None
    ) -> Generator[CrawlResult, None, None]:
        """Crawl ``sources`` (and what ``refill`` claims while workers are idle) under
        the per-host rules, yielding results as they land. Sources whose host gives no
        slot within ``hold`` seconds are handed back, due, uncrawled."""
        queues: dict[str, deque[tuple[Source, float]]] = {}
        self._enqueue(queues, sources)
        in_flight: dict[Future[Fetched], tuple[Source, Slot]] = {}
        try:
            while True:
                wake = self._dispatch(queues, in_flight)
                if refill is not None and len(in_flight) < self.config.workers:
                    more = refill()
                    if more:
                        self._enqueue(queues, more)
                        continue
                    refill = None  # nothing more is due, or the batch is full
                self._hand_back_held(queues)
                if not queues and not in_flight:
                    return
                if not in_flight:
                    time.sleep(wake or 0.0)  # every queued host is busy or spacing requests
                    continue
                done, _ = wait(list(in_flight), timeout=wake, return_when=FIRST_COMPLETED)
                for future in done:
                    source, slot = in_flight.pop(future)
                    self.politeness.release(slot)
                    yield self._record(source, future.result())
        finally:
            # Stopped early (the caller closed the generator, or an error): the requests
            # still running give their slots back when they end; their sources stay
            # claimed until the lease, as when a process dies.
            for future, (_, slot) in in_flight.items():
                future.add_done_callback(self._releaser(slot))

    def _record(self, source: Source, fetched: Fetched) -> CrawlResult:
        try:
            return record(source, fetched, self.clock())
        except DatabaseError:
            raise  # the job's retry handles the database; not the source's fault
        except Exception as exc:  # noqa: BLE001 - one broken source must not stop a batch
            # As a crash while fetching: the source shows it, the batch goes on.
            log.exception("recording %s crashed", source.url)
            source.refresh_from_db()
            failed = Fetched(error=f"Could not read it: internal error ({type(exc).__name__})")
            return record(source, failed, self.clock())

    def _releaser(self, slot: Slot) -> Callable[[Future[Fetched]], None]:
        def release(_: Future[Fetched]) -> None:
            self.politeness.release(slot)

        return release

    @staticmethod
    def _enqueue(queues: dict[str, deque[tuple[Source, float]]], sources: list[Source]) -> None:
        queued_at = time.monotonic()
        for source in sources:
            queues.setdefault(host_of(source.url), deque()).append((source, queued_at))

    def _dispatch(
        self,
        queues: dict[str, deque[tuple[Source, float]]],
        in_flight: dict[Future[Fetched], tuple[Source, Slot]],
    ) -> float | None:
        """Start every request the limits allow; return how long until one more may."""
        wake: float | None = None
        for host in list(queues):
            if len(in_flight) >= self.config.workers:
                break
            queue = queues[host]
            while queue and len(in_flight) < self.config.workers:
                slot = self.politeness.acquire(host)
                if not isinstance(slot, Slot):
                    # Busy (a completion, here or in another process, frees a slot) or
                    # spacing its requests: this host waits, the others go on.
                    wake = slot if wake is None else min(wake, slot)
                    break
                source, _ = queue.popleft()
                # Counted here, on the database thread, and cached per process.
                subscribers = subscriber_count(source)
                in_flight[self._pool.submit(self._fetch, source, subscribers)] = (source, slot)
            if not queue:
                del queues[host]
            else:
                # Round robin: the next pass starts with the hosts not served this time.
                queues[host] = queues.pop(host)
        return wake

    def _hand_back_held(self, queues: dict[str, deque[tuple[Source, float]]]) -> None:
        """Make sources queued longer than ``hold`` due again for whoever claims next."""
        cutoff = time.monotonic() - self.config.hold
        for host in list(queues):
            queue = queues[host]
            while queue and queue[0][1] <= cutoff:
                source, _ = queue.popleft()
                hand_back(source, self.clock())
                log.info("%s is busy: %s handed back uncrawled", host or "(no host)", source.url)
            if not queue:
                del queues[host]

    def _fetch(self, source: Source, subscribers: int) -> Fetched:
        try:
            return fetch_source(source, client=self.client, subscribers=subscribers)
        except Exception as exc:  # noqa: BLE001 - one broken source must not stop a batch
            log.exception("crawling %s crashed", source.url)
            return Fetched(error=f"Could not read it: internal error ({type(exc).__name__})")


def hand_back(source: Source, now: dt.datetime) -> bool:
    """Undo this crawler's claim: the source is due again now. Only if the claim is still
    ours (its next_fetch_at is the lease this process set), so a source already
    reclaimed elsewhere after the lease is left alone."""
    returned = Source.objects.filter(pk=source.pk, next_fetch_at=source.next_fetch_at).update(
        next_fetch_at=now
    )
    return returned == 1
