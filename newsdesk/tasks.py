"""The jobs as Celery tasks: thin wrappers over the step functions the commands run.

- ``crawl_due_sources`` (as ``fetchsources``): ``Scheduler.crawl_due``, which claims
  with ``sources.crawl.claim_due_source``;
- ``process_pending_items`` (as ``fetchpages``): ``articles.ingest.claim_pending_item``
  and ``process_item``;
- ``send_due_digests`` (as ``senddigests``): ``digests.plan.plan_due``,
  ``digests.send.reap`` and ``send_batch``.

Safe to run anywhere, any number of times, at once: a task holds nothing but its claims,
and every claim is a conditional update on the row (a source's next_fetch_at, an item's
attempts and lease, a delivery's status). Two copies of a task share the work; a copy
that finds nothing claimed returns at once. Tasks are acknowledged late and requeued
when their worker dies, and a worker killed mid-row leaves that row to be reclaimed when
its lease ends (sources, items) or marked UNCONFIRMED and never resent (digests).

Each task stops after ``limit`` units or ``seconds``, whichever comes first, so a tick
never outlives the next one by much. A tick that sees more work than one task's limit
spreads it: it enqueues more copies of itself (at most MAX_SPREAD) for idle workers.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown
from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone

from newsdesk.articles.extract.language import warm_up
from newsdesk.articles.ingest import MAX_ATTEMPTS, claim_pending_item, process_item
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.plan import plan_due
from newsdesk.digests.send import BATCH_SIZE, SendContext, reap, send_batch
from newsdesk.sources.models import Source, SourceItem
from newsdesk.sources.scheduler import Scheduler

log = logging.getLogger(__name__)

# Copies a tick may add for a backlog: enough to keep many workers busy, not a flood.
MAX_SPREAD = 16
# Late acknowledgement: a task whose worker dies is delivered again (its rows are safe to
# claim twice). Requeued also when a prefork child is killed, instead of being dropped.
TASK_OPTIONS: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}

_scheduler: Scheduler | None = None


def scheduler() -> Scheduler:
    """One scheduler per worker process: its HTTP pool (keep-alive) and thread pool are
    reused by every crawl task the process runs. Created lazily, after the fork."""
    global _scheduler
    if _scheduler is None:
        _scheduler = Scheduler()
    return _scheduler


@worker_process_init.connect
def _warm_up(**kwargs: Any) -> None:
    warm_up()  # the language model, once per process rather than on its first page


@worker_process_shutdown.connect
def _close_scheduler(**kwargs: Any) -> None:
    global _scheduler
    if _scheduler is not None:
        _scheduler.close()
        _scheduler = None


def enqueue_copies(task: Any, backlog: int, limit: int, seconds: float) -> int:
    """Enqueue copies of ``task`` for the part of ``backlog`` this one will not reach."""
    copies = min(MAX_SPREAD, max(0, math.ceil(backlog / max(1, limit)) - 1))
    for _ in range(copies):
        task.apply_async(kwargs={"limit": limit, "seconds": seconds, "spread": False})
    if copies:
        log.info("%s: %d waiting, %d more tasks enqueued", task.name, backlog, copies)
    return copies


def drain(step: Callable[[], bool], limit: int, seconds: float) -> int:
    """Run ``step`` until it finds no work, ``limit`` steps, or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    done = 0
    while done < limit and time.monotonic() < deadline and step():
        done += 1
    return done


@shared_task(name="newsdesk.tasks.crawl_due_sources", **TASK_OPTIONS)
def crawl_due_sources(limit: int = 500, seconds: float = 50.0, spread: bool = True) -> int:
    """Crawl due sources in scheduler batches; return how many were crawled."""
    crawler = scheduler()
    if spread:
        due = Source.objects.filter(next_fetch_at__lte=timezone.now())
        due = due.exclude(status=Source.Status.GONE)
        enqueue_copies(crawl_due_sources, due.count(), limit, seconds)
    deadline = time.monotonic() + seconds
    crawled = 0
    while crawled < limit and time.monotonic() < deadline:
        batch = sum(1 for _ in crawler.crawl_due())
        if not batch:
            break
        crawled += batch
    return crawled


@shared_task(name="newsdesk.tasks.process_pending_items", **TASK_OPTIONS)
def process_pending_items(limit: int = 50, seconds: float = 50.0, spread: bool = True) -> int:
    """Turn up to ``limit`` pending items into articles; return how many were handled."""
    if spread:
        pending = SourceItem.objects.filter(
            state=SourceItem.State.PENDING, attempts__lt=MAX_ATTEMPTS
        )
        enqueue_copies(process_pending_items, pending.count(), limit, seconds)

    def step() -> bool:
        item = claim_pending_item()
        if item is None:
            return False
        # The crawl's per-host rules: one budget per host for feeds and pages.
        result = process_item(item, politeness=scheduler().politeness)
        if result.message:
            log.info("%s %s: %s", result.state, item.url, result.message)
        return True

    return drain(step, limit, seconds)


@shared_task(name="newsdesk.tasks.send_due_digests", **TASK_OPTIONS)
def send_due_digests(limit: int = 500, seconds: float = 50.0, spread: bool = True) -> int:
    """Plan due digests, reap dead claims and send up to ``limit``; return rows handled.

    Planning twice at once (two beats) is safe: a delivery is unique per reader, kind and
    local date. Copies added for a backlog only send.
    """
    if spread:
        now = timezone.now()
        planned, reaped = plan_due(now), reap(now)
        if planned or reaped:
            log.info("planned %d digests, reaped %d dead claims", planned, reaped)
        due = DigestDelivery.objects.filter(
            status=DigestDelivery.Status.PLANNED, due_at__lte=now
        ).count()
        enqueue_copies(send_due_digests, due, limit, seconds)
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - each send retries and records the error
        log.warning("cannot open the email connection: %s", exc)
    context = SendContext(connection)
    deadline = time.monotonic() + seconds
    handled = 0
    try:
        while handled < limit and time.monotonic() < deadline:
            size = min(BATCH_SIZE, limit - handled)
            done = send_batch(timezone.now(), context, size)  # one claim, one UPDATE
            if not done:
                break
            handled += done
    finally:
        connection.close()
    return handled
