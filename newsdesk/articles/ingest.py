"""Turn pending source items into articles: fetch the page, extract, store, assign topics.

One bad page never stops the rest: its item is marked failed or skipped with the reason,
and the source shows the last page error to its operator.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, DataError, transaction
from django.db.models import F, Q
from django.utils import timezone

from newsdesk.articles.bios import find_bios
from newsdesk.articles.identity import MAX_URL_LENGTH, known_article, page_canonical
from newsdesk.articles.models import Article
from newsdesk.articles.pages import extract_page, not_html_reason, remember_page
from newsdesk.articles.store import set_byline, store_article
from newsdesk.db import claim_first
from newsdesk.lib.http import FetchError, FetchPolicy, FetchRefused, Response, fetch
from newsdesk.sources import robots
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.parse import same_site
from newsdesk.sources.politeness import Politeness, Slot, acquire_within, host_of
from newsdesk.sources.registry import site_outlet
from newsdesk.topics.match import assign_topics

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PAGE_RETRY_BASE = dt.timedelta(minutes=2)
# How long a page worker waits for its host's slot beyond the host's spacing before it
# leaves the item for later and moves on; and how much later (at least, plus jitter).
HOST_SLOT_PATIENCE = 1.0
HOST_BUSY_RETRY = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class ItemResult:
    item_id: int
    state: str
    article_id: int | None = None
    message: str = ""


def page_lease() -> dt.timedelta:
    """How long a claimed item is left to its worker: longer than a page fetch (deadline)
    plus extraction. Set low only in tests that kill workers and wait for the reclaim."""
    return dt.timedelta(seconds=getattr(settings, "NEWSDESK_PAGE_LEASE_SECONDS", 300))


def claim_pending_item() -> SourceItem | None:
    """Claim one pending item with a conditional update on its attempt counter that also
    leases it (retry_at), so any number of page workers can run without two working on
    one item; a worker killed mid-item leaves it pending for the next one once the lease
    ends (storing is idempotent by canonical URL) until attempts run out."""
    now = timezone.now()
    candidates = (
        SourceItem.objects.filter(state=SourceItem.State.PENDING, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .order_by("id")
    )

    def take(item: SourceItem) -> bool:
        claimed = SourceItem.objects.filter(
            pk=item.pk, state=SourceItem.State.PENDING, attempts=item.attempts
        ).update(attempts=F("attempts") + 1, retry_at=now + page_lease())
        return claimed == 1

    item = claim_first(candidates, take)
    if item is None:
        return None
    return SourceItem.objects.select_related("source__outlet").get(pk=item.pk)


def process_item(
    item: SourceItem,
    now: dt.datetime | None = None,
    policy: FetchPolicy | None = None,
    politeness: Politeness | None = None,
) -> ItemResult:
    """Fetch, extract and store one claimed item.

    With ``politeness`` (the page jobs pass theirs), every request to the page's host
    (robots.txt when it is due, then the page) waits for a slot of the per-host rules
    feeds obey too. A host that stays busy leaves the item pending for a few seconds,
    without spending an attempt. Without it (tests, one-off calls) the page is fetched
    at once.
    """
    try:
        return _process(item, now or timezone.now(), policy, politeness)
    except DatabaseError:
        raise  # the job's retry handles the database; not the page's fault
    except Exception as exc:  # noqa: BLE001 - a hostile page must not stop the worker
        # Without this the worker dies, and the item, claimed again after each lease,
        # kills the next one too until its attempts run out and it stays pending unseen.
        log.exception("processing %s crashed", item.url)
        reason = f"Could not process the page: internal error ({type(exc).__name__})"
        return _fail(item, reason, final=True)


def _process(
    item: SourceItem, now: dt.datetime, policy: FetchPolicy | None, politeness: Politeness | None
) -> ItemResult:
    known = known_article(item.url, item.source.outlet.home_url)
    if known is not None:
        # Another feed (or the same one with tracking parameters) already brought it.
        return _done(item, known, now, labels=item.categories)
    policy = policy or policy_from_settings()
    turns = _Turns(politeness, host_of(item.url))
    try:
        fetched = _fetch_page(item, policy, now, turns)
    finally:
        turns.give_back()
    if isinstance(fetched, ItemResult):
        return fetched
    return _store_page(item, fetched, now)


@dataclass
class _Turns:
    """The host's slot an item's requests are made under (none without politeness)."""

    politeness: Politeness | None
    host: str
    slot: Slot | None = None

    def take(self) -> float | None:
        """Take a slot for the next request (giving back the one held): None once it is
        taken, else the wait the host asked for after this worker's patience ran out."""
        self.give_back()
        if self.politeness is None:
            return None
        patience = self.politeness.rules.spacing + HOST_SLOT_PATIENCE
        got = acquire_within(self.politeness, self.host, patience)
        if isinstance(got, Slot):
            self.slot = got
            return None
        return got

    def give_back(self) -> None:
        if self.politeness is not None and self.slot is not None:
            self.politeness.release(self.slot)
        self.slot = None


def _fetch_page(
    item: SourceItem, policy: FetchPolicy, now: dt.datetime, turns: _Turns
) -> Response | ItemResult:
    """The page, if the host gives a slot, robots.txt allows it and it answers; else the
    item's outcome."""
    if (wait := turns.take()) is not None:
        return _wait_for_host(item, turns.host, wait)
    verdict = robots.check(item.url, policy=policy, now=now)
    if not verdict.allowed:
        if verdict.reason == robots.DISALLOWED:
            return _skip(item, verdict.reason)
        return _postpone(item, verdict.reason, verdict.until)
    if _robots_fetched(verdict, now) and (wait := turns.take()) is not None:
        # Asking for robots.txt was a request of its own: the page waits its turn.
        return _wait_for_host(item, turns.host, wait)
    try:
        return fetch(item.url, policy=policy)
    except FetchRefused as exc:
        return _fail(item, f"Refused: {exc.reason}", final=True)
    except FetchError as exc:
        return _fail(item, f"Could not fetch the page: {exc.reason}")


def _robots_fetched(verdict: robots.Verdict, now: dt.datetime) -> bool:
    """Did this check just ask the site for robots.txt? A file fetched by this check is
    stored as fetched at ``now``, so its verdict holds until exactly ``now`` + its TTL;
    a cached one (here or by another worker) was fetched at another time."""
    return verdict.until is not None and verdict.until - now in (
        robots.CACHE_TTL,
        robots.RETRY_UNREACHABLE,
    )


def _store_page(item: SourceItem, response: Response, now: dt.datetime) -> ItemResult:
    if response.status >= 400:
        return _fail(item, f"HTTP {response.status} for {item.url}", final=response.status < 500)
    if reason := not_html_reason(response.content_type):
        return _skip(item, reason)
    outlet = _page_outlet(item, response.url)
    try:
        extraction = extract_page(outlet, response.body, response.url)
    except DatabaseError:
        raise  # the site's rule and learned blocks come from the database: not the page's fault
    except Exception as exc:  # noqa: BLE001 - a hostile page must not stop the worker
        log.exception("extractor crashed on %s", item.url)
        return _fail(item, f"Could not read the page: {type(exc).__name__}", final=True)
    if not extraction.is_article:
        return _skip(item, extraction.reason or "not an article")

    canonical = page_canonical(response.url, extraction.canonical_url, outlet.home_url)
    if len(canonical) > MAX_URL_LENGTH:
        return _fail(item, f"The page's address is over {MAX_URL_LENGTH} characters", final=True)
    names = list(extraction.authors) or [a for a in item.authors if isinstance(a, str)]
    bios = find_bios(response.body, names)
    labels = [*item.categories, *([extraction.section] if extraction.section else [])]
    # All or nothing: an article stored without its byline, page or topics would stay so,
    # because a retry finds the article and only marks the item done.
    try:
        with transaction.atomic():
            article, created = store_article(
                outlet, extraction, canonical, response.url, item.published_at or now, now
            )
            # The stored article's outlet, not the page's: an article keeps the outlet
            # it was first credited to (store_article), and its authors are that outlet's.
            remember_page(article, created, response, article.outlet, now)
            set_byline(article, article.outlet, names, bios)
            return _done(item, article, now, labels=labels)
    except DataError as exc:
        # Something on the page does not fit the database (PostgreSQL is stricter than
        # SQLite): the item shows it, and the worker goes on with the next page.
        log.exception("could not store the page %s", item.url)
        words = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return _fail(item, f"Could not store the page: {words}", final=True)


def _page_outlet(item: SourceItem, url: str) -> Outlet:
    """The outlet a fetched page is credited to, and whose rule and learned boilerplate
    read it: the one whose site the page ended on (after redirects), since a feed may
    link to another outlet's site (a shortener, an aggregator, a partner's story).
    When several outlets share the site (a publisher's desks added as outlets), the
    item's own outlet if it is one of them, else the oldest.

    The item's own outlet when no outlet has that site. That is normal for an
    aggregator's feed (its links go to sites nobody added), so it is logged at info
    level rather than noted on the item or counted as the source's page error: a
    problem note on every item would bury the real ones, and the article's URL shows
    where it came from.
    """
    own = item.source.outlet
    if same_site(own.home_url, url):
        return own  # the common case, without a query
    found = site_outlet(url)
    if found is None:
        log.info("%s is on no known outlet's site: credited to %s", url, own.slug)
        return own
    return found


def _done(item: SourceItem, article: Article, now: dt.datetime, labels: list[str]) -> ItemResult:
    assign_topics(article, labels)
    item.state = SourceItem.State.DONE
    item.article = article
    item.error = ""
    item.save(update_fields=["state", "article", "error"])
    return ItemResult(item.pk, item.state, article.pk)


def _skip(item: SourceItem, reason: str) -> ItemResult:
    item.state = SourceItem.State.SKIPPED
    item.error = reason
    item.save(update_fields=["state", "error"])
    # Not an error of the feed, but the operator should see which pages were not stored.
    _note_page_problem(item, f"Not stored as an article ({reason}): {item.url}")
    return ItemResult(item.pk, item.state, None, reason)


def _postpone(
    item: SourceItem, reason: str, until: dt.datetime | None, *, problem: bool = True
) -> ItemResult:
    """Leave the item pending until ``until`` without spending an attempt: the site's
    robots.txt is unreachable, which RFC 9309 says means "not now", not "never" (a
    problem the operator sees), or the host is busy with other requests (not one)."""
    item.attempts = max(item.attempts - 1, 0)
    item.retry_at = until
    message = f"Waiting: {reason}"
    if not problem:
        item.save(update_fields=["attempts", "retry_at"])
        return ItemResult(item.pk, item.state, None, message)
    item.error = message
    item.save(update_fields=["attempts", "retry_at", "error"])
    _note_page_problem(item, f"{item.error}: {item.url}")
    return ItemResult(item.pk, item.state, None, item.error)


def _wait_for_host(item: SourceItem, host: str, wait: float) -> ItemResult:
    """The host had no slot in time: try the item again in a few seconds, and let the
    worker take another host's item meanwhile.

    The host's other unclaimed items wait as long, so no worker (this one included)
    claims them only to find the host busy again: without this, a host with a long
    backlog would keep every worker waiting on it, item after item, in claim order.
    """
    now = timezone.now()
    until = now + max(HOST_BUSY_RETRY, dt.timedelta(seconds=wait)) * random.uniform(1.0, 1.5)
    if host:
        # Only rows nobody holds (their lease over or never set): a concurrent claim
        # either wins first, and the lease it set keeps the row out of this update, or
        # comes second and takes the row anyway.
        name = f"[{host}]" if ":" in host else host  # an IPv6 address is bracketed
        on_host = Q()
        for scheme in ("http", "https"):
            on_host |= Q(url__istartswith=f"{scheme}://{name}/")
            on_host |= Q(url__istartswith=f"{scheme}://{name}:")
        SourceItem.objects.filter(on_host, state=SourceItem.State.PENDING).filter(
            Q(retry_at__isnull=True) | Q(retry_at__lte=now)
        ).exclude(pk=item.pk).update(retry_at=until)
    reason = f"{host or 'the site'} is busy with other requests"
    return _postpone(item, reason, until, problem=False)


def _note_page_problem(item: SourceItem, message: str) -> None:
    Source.objects.filter(pk=item.source_id).update(
        page_error_count=F("page_error_count") + 1, last_page_error=message
    )


def _fail(item: SourceItem, message: str, final: bool = False) -> ItemResult:
    if final or item.attempts >= MAX_ATTEMPTS:
        item.state = SourceItem.State.FAILED
        item.retry_at = None
    else:
        # A passing failure (timeout, 5xx) is tried again later, not at once: hammering a
        # struggling site helps nobody. 2 min, then 8 min, with jitter.
        delay = PAGE_RETRY_BASE * 4 ** max(item.attempts - 1, 0) * random.uniform(0.8, 1.2)
        item.retry_at = timezone.now() + delay
        message = f"{message} (will try again)"
    item.error = message
    item.save(update_fields=["state", "error", "retry_at"])
    _note_page_problem(item, message)
    log.warning("page %s failed: %s", item.url, message)
    return ItemResult(item.pk, item.state, None, message)
