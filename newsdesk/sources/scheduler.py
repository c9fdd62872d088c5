"""Run due sources concurrently, politely: a few requests at a time per host, spaced out.

One step claims a batch of due sources (``claim_due_source``: a conditional update, so
any number of scheduler processes can run side by side), fetches and parses them on a
small thread pool, and records each outcome as it arrives.

Only the network and parsing happen on the pool (``crawl.fetch_source`` touches no
database); every query and write happens on the calling thread. SQLite has a single
writer anyway, and Django connections are per thread, so this keeps one connection per
process and lets tests run the scheduler inside their transaction.

The per-host rules hold within one process: with several processes, each keeps its own
count (the claim spreads sources across processes, so the combined rate stays close).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from newsdesk.lib.http import FetchPolicy, HttpClient
from newsdesk.sources.crawl import CrawlResult, Fetched, claim_due_source, fetch_source, record
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Source
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


@dataclass
class HostGate:
    """Who may start a request to which host now. Used by the dispatching thread only."""

    per_host: int
    spacing: float
    clock: Callable[[], float] = time.monotonic
    _active: dict[str, int] = field(default_factory=dict)
    _next_start: dict[str, float] = field(default_factory=dict)

    def delay(self, host: str) -> float | None:
        """Seconds until ``host`` may get a request; None while it is at its limit."""
        if self._active.get(host, 0) >= self.per_host:
            return None
        return max(0.0, self._next_start.get(host, 0.0) - self.clock())

    def start(self, host: str) -> None:
        self._active[host] = self._active.get(host, 0) + 1
        self._next_start[host] = self.clock() + self.spacing

    def done(self, host: str) -> None:
        self._active[host] -= 1


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class Scheduler:
    """Keeps one pooled HTTP client (keep-alive) and one thread pool across steps."""

    def __init__(
        self,
        config: SchedulerConfig | None = None,
        policy: FetchPolicy | None = None,
        client: HttpClient | None = None,
        clock: Callable[[], dt.datetime] = timezone.now,
    ) -> None:
        self.config = config or SchedulerConfig.from_settings()
        self._owns_client = client is None
        self.client = client or HttpClient(policy or policy_from_settings())
        self.clock = clock
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

    def crawl_due(self) -> Iterator[CrawlResult]:
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
    ) -> Iterator[CrawlResult]:
        """Crawl ``sources`` (and what ``refill`` claims while workers are idle) under
        the per-host rules, yielding results as they land."""
        queues: dict[str, deque[Source]] = {}
        self._enqueue(queues, sources)
        gate = HostGate(self.config.per_host, self.config.host_spacing)
        in_flight: dict[Future[Fetched], tuple[Source, str]] = {}
        while True:
            wake = self._dispatch(queues, gate, in_flight)
            if refill is not None and len(in_flight) < self.config.workers:
                more = refill()
                if more:
                    self._enqueue(queues, more)
                    continue
                refill = None  # nothing more is due, or the batch is full
            if not queues and not in_flight:
                return
            if not in_flight:
                time.sleep(wake or 0.0)  # every queued host is spacing its requests
                continue
            done, _ = wait(list(in_flight), timeout=wake, return_when=FIRST_COMPLETED)
            for future in done:
                source, host = in_flight.pop(future)
                gate.done(host)
                yield record(source, future.result(), self.clock())

    @staticmethod
    def _enqueue(queues: dict[str, deque[Source]], sources: list[Source]) -> None:
        for source in sources:
            queues.setdefault(host_of(source.url), deque()).append(source)

    def _dispatch(
        self,
        queues: dict[str, deque[Source]],
        gate: HostGate,
        in_flight: dict[Future[Fetched], tuple[Source, str]],
    ) -> float | None:
        """Start every request the limits allow; return how long until one more may."""
        wake: float | None = None
        for host in list(queues):
            if len(in_flight) >= self.config.workers:
                break
            queue = queues[host]
            while queue and len(in_flight) < self.config.workers:
                delay = gate.delay(host)
                if delay is None:
                    break  # at its limit: a completion will wake us
                if delay > 0:
                    wake = delay if wake is None else min(wake, delay)
                    break
                source = queue.popleft()
                gate.start(host)
                # Counted here, on the database thread, and cached per process.
                subscribers = subscriber_count(source)
                in_flight[self._pool.submit(self._fetch, source, subscribers)] = (source, host)
            if not queue:
                del queues[host]
            else:
                # Round robin: the next pass starts with the hosts not served this time.
                queues[host] = queues.pop(host)
        return wake

    def _fetch(self, source: Source, subscribers: int) -> Fetched:
        try:
            return fetch_source(source, client=self.client, subscribers=subscribers)
        except Exception as exc:  # noqa: BLE001 - one broken source must not stop a batch
            log.exception("crawling %s crashed", source.url)
            return Fetched(error=f"Could not read it: internal error ({type(exc).__name__})")
