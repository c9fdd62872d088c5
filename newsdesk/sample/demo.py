"""The main job on the sample world: serve it, ingest it, deliver this morning's digests.

The steps are the real pipeline's step functions, run until each has no work left, so the
demo exercises exactly what the `fetchsources`, `fetchpages` and `senddigests` processes
do in production, only in one process and against sites on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.articles.ingest import claim_pending_item, process_item
from newsdesk.articles.models import Article
from newsdesk.digests import send
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.plan import plan_due
from newsdesk.lib.http import FetchPolicy
from newsdesk.sample.seed import seed_readers, seed_sources, seed_topics
from newsdesk.sample.server import SampleSites
from newsdesk.sources.crawl import claim_due_source, crawl_source
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Source, SourceItem
from newsdesk.topics.models import Topic

DEFAULT_PORT = 8701
CLAIM_LEASE = dt.timedelta(minutes=10)


@dataclass
class DemoReport:
    sources: int = 0
    source_errors: list[str] = field(default_factory=list)
    items: int = 0
    page_problems: list[str] = field(default_factory=list)
    articles: int = 0
    new_articles: int = 0
    topics: dict[str, int] = field(default_factory=dict)
    readers: int = 0
    digests: list[str] = field(default_factory=list)
    skipped_readers: list[str] = field(default_factory=list)


def local_policy(base: FetchPolicy) -> FetchPolicy:
    """The operator's policy plus the one loopback address the sample sites live on."""
    loopback = ipaddress.ip_network("127.0.0.1/32")
    return FetchPolicy(
        allow_networks=(*base.allow_networks, loopback),
        max_redirects=base.max_redirects,
        deadline=min(base.deadline, 10.0),
        max_bytes=base.max_bytes,
    )


def run_until_idle(step: Callable[[], bool], limit: int = 100_000) -> int:
    done = 0
    while done < limit and step():
        done += 1
    return done


def ingest(policy: FetchPolicy) -> None:
    def crawl_step() -> bool:
        now = timezone.now()
        source = claim_due_source(now, CLAIM_LEASE)
        if source is None:
            return False
        crawl_source(source, now, policy=policy)
        return True

    def page_step() -> bool:
        item = claim_pending_item()
        if item is None:
            return False
        process_item(item, policy=policy)
        return True

    run_until_idle(crawl_step)
    run_until_idle(page_step)


def deliver(reader_ids: list[int], now: dt.datetime) -> dt.datetime:
    """This morning's digests: the demo readers' digest time is set to the coming minute
    in their own zones, then the real planner and sender run at that minute."""
    at = (now + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    for reader in Reader.objects.filter(pk__in=reader_ids):
        reader.digest_time = at.astimezone(reader.zone).time()
        reader.save(update_fields=["digest_time"])
    plan_due(at)
    send.reap(at)
    run_until_idle(lambda: send.send_one(at))
    return at


def run_demo(
    port: int = DEFAULT_PORT,
    now: dt.datetime | None = None,
    faults: frozenset[str] = frozenset(),
    policy: FetchPolicy | None = None,
) -> DemoReport:
    before = Article.objects.count()
    with SampleSites(base_port=port, faults=faults) as sites:
        base_urls = {outlet.slug: outlet.base_url for outlet in sites.outlets}
        seed_topics(sites.catalog)
        seed_sources(sites.catalog, base_urls, timezone.now())
        reader_ids = [reader.pk for reader in seed_readers()]
        ingest(policy or local_policy(policy_from_settings()))
    deliver(reader_ids, now or timezone.now())
    return summarise(before, reader_ids)


def summarise(articles_before: int, reader_ids: list[int]) -> DemoReport:
    report = DemoReport()
    report.sources = Source.objects.count()
    report.source_errors = [
        f"{s.url}: {s.last_error}" for s in Source.objects.exclude(status=Source.Status.OK)
    ]
    report.items = SourceItem.objects.count()
    # Failed and skipped pages, and pages waiting for another try after a passing error.
    report.page_problems = [
        f"{i.url}: {i.error}"
        for i in SourceItem.objects.exclude(state=SourceItem.State.DONE)
        .exclude(error="")
        .order_by("url")
    ]
    report.articles = Article.objects.count()
    report.new_articles = report.articles - articles_before
    report.topics = {t.name: t.articles.count() for t in Topic.objects.order_by("name")}
    report.readers = len(reader_ids)
    deliveries = DigestDelivery.objects.filter(reader_id__in=reader_ids).select_related("reader")
    report.digests = [
        f"{d.reader.email} ({d.reader.time_zone}, {d.local_date}): {d.get_status_display()}"
        f", {d.article_count} articles"
        for d in deliveries.order_by("reader__email")
    ]
    planned = set(deliveries.values_list("reader_id", flat=True))
    report.skipped_readers = list(
        Reader.objects.filter(pk__in=reader_ids)
        .exclude(pk__in=planned)
        .values_list("email", flat=True)
    )
    return report
