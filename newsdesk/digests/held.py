"""Stories held back by the hourly alert limit: which digest carries each one, if any.

A story the limit held back (alerts.plan_alerts) still reaches the reader, once: in the
digest that covers it, else in a roll-up email (rollup.py). ``decide`` picks, the way
plan.py and compose.py will really build that digest: the reader follows the story's
topic daily (or weekly), the match falls in the digest's window (from the end of the last
digest that went out, or the default stretch, never further back than the longest window,
up to the due time) and the article was published no earlier than LATE_ARRIVAL before
the window starts. Such a row is FOR_DIGEST with ``check_at`` set to the digest's due
time: a digest shows only its top stories per topic, so which stories it carried is known
only once it went out. ``recheck`` then composes that digest again with the real
composer; a story it did not carry (cut, or the digest never went out and no later one
covers the match) goes back to DEFERRED for the roll-up.

A story published more than NEWS_FOR (24 h, the age past which alerts.plan_alerts ignores
a match) ago is no longer news: a row still waiting for a roll-up then is EXPIRED, with
the reason, rather than sent days late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from newsdesk.accounts.models import Reader
from newsdesk.articles.models import Article
from newsdesk.digests import schedule, suppress
from newsdesk.digests.compose import DAILY, LATE_ARRIVAL, WEEKLY, compose_for_reader
from newsdesk.digests.models import AlertDelivery, DigestDelivery
from newsdesk.digests.plan import CADENCES, last_window_ends, latest_due, max_late
from newsdesk.digests.plan import reader_zone as zone_of
from newsdesk.topics.models import Follow, TopicArticle

Status = AlertDelivery.Status
Digest = DigestDelivery.Status
NEWS_FOR = dt.timedelta(hours=24)
HOUR = dt.timedelta(hours=1)
# How long after a digest's due time to look whether it went out with the story.
RECHECK_AFTER = dt.timedelta(minutes=10)
RECHECK_BATCH = 200
# Rows that count against the hourly limit: a single alert each, by when it was planned;
# a roll-up once for all its rows, by when it was claimed.
SINGLE_COUNTED = [Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED, Status.UNCONFIRMED]
ROLLUP_COUNTED = [Status.SENDING, Status.SENT, Status.FAILED, Status.UNCONFIRMED]
_PENDING_DIGEST = [Digest.PLANNED, Digest.SENDING, Digest.FAILED]
_CARRIED = [Digest.SENT, Digest.UNCONFIRMED]  # it may have reached the reader: not repeated


def per_hour() -> int:
    return int(settings.NEWSDESK_ALERTS_PER_HOUR)


@dataclass
class HourCount:
    """Emails a reader got (or has on the way) since ``since``: singles plus roll-ups."""

    since: dt.datetime
    singles: int = 0
    rollups: set[str] = field(default_factory=set)

    def add(
        self, status: str, claimed_by: str, created: dt.datetime, claimed_at: dt.datetime | None
    ) -> None:
        if not claimed_by:
            if status in SINGLE_COUNTED and created >= self.since:
                self.singles += 1
        elif status in ROLLUP_COUNTED and claimed_at is not None and claimed_at >= self.since:
            self.rollups.add(claimed_by)

    @property
    def total(self) -> int:
        return self.singles + len(self.rollups)


def hour_counts(reader_ids: Iterable[int], now: dt.datetime) -> dict[int, HourCount]:
    """Each reader's emails of the last hour, as the limit counts them."""
    since = now - HOUR
    counts = {r: HourCount(since) for r in reader_ids}
    recent = Q(claimed_by="", created__gte=since) | (Q(claimed_at__gte=since) & ~Q(claimed_by=""))
    rows = AlertDelivery.objects.filter(recent, reader_id__in=list(counts)).values_list(
        "reader_id", "status", "claimed_by", "created", "claimed_at"
    )
    for reader_id, status, claimed_by, created, claimed_at in rows:
        counts[reader_id].add(status, claimed_by, created, claimed_at)
    return counts


@dataclass
class Held:
    """A held-back row and its match: when it joined the topic, when it was published."""

    row: AlertDelivery
    matched_at: dt.datetime
    published_at: dt.datetime


def limit_note() -> str:
    return f"{per_hour()} alerts in the last hour (NEWSDESK_ALERTS_PER_HOUR)"


def decide(held: list[Held], now: dt.datetime, why: str | None = None) -> None:
    """Set each held row's status, ``check_at`` and note: digest, roll-up or too old.

    ``why`` says why the story was held back (default: the hourly limit)."""
    if not held:
        return
    by_reader: dict[int, list[Held]] = {}
    for item in held:
        by_reader.setdefault(item.row.reader_id, []).append(item)
    readers = Reader.objects.in_bulk(list(by_reader))
    suppressed = suppress.reasons(r.email for r in readers.values())
    for reader_id, items in by_reader.items():
        reader = readers.get(reader_id)
        if reader is None:
            continue  # deleted meanwhile: its rows went with it
        reason = suppressed.get(suppress.normal(reader.email))
        if not reader.receives_email or reason:
            why = suppress.explain(reason) if reason else "The reader no longer receives email."
            for item in items:
                _set(item.row, Status.SKIPPED, None, why)
            continue
        digests = _ReaderDigests(reader, now)
        for item in items:
            digests.decide(item, why or limit_note())


def _set(row: AlertDelivery, status: str, check_at: dt.datetime | None, note: str) -> None:
    row.status, row.check_at, row.error = status, check_at, note


class _ReaderDigests:
    """One reader's digests, past and coming, to see which of them carries a story."""

    def __init__(self, reader: Reader, now: dt.datetime) -> None:
        self.reader = reader
        self.now = now
        self.zone = zone_of(reader.time_zone)
        self.kinds = {
            topic_id: [k for k, on in ((DAILY, daily), (WEEKLY, weekly)) if on]
            for topic_id, daily, weekly in Follow.objects.filter(reader=reader).values_list(
                "topic_id", "daily", "weekly"
            )
        }
        self.deliveries = list(
            DigestDelivery.objects.filter(reader=reader).order_by("-local_date")[:40]
        )
        self._carried: dict[int, frozenset[int]] = {}
        self.why = limit_note()  # why the story being decided was held back
        self._windows: dict[tuple[str, dt.date], tuple[dt.datetime, dt.datetime]] = {}

    def decide(self, item: Held, why: str) -> None:
        self.why = why
        notes: list[str] = []
        for kind in self.kinds.get(item.row.topic_id or 0, []):
            found = self._in_past(kind, item, notes) or self._in_coming(kind, item)
            if found is not None:
                _set(item.row, Status.FOR_DIGEST, *found)
                return
        if item.published_at < self.now - NEWS_FOR:
            notes.append("published more than 24 h ago: no longer news")
            _set(item.row, Status.EXPIRED, None, _sentence(notes))
            return
        notes.append(f"{why}: waiting for a roll-up")
        _set(item.row, Status.DEFERRED, None, _sentence(notes))

    def _in_past(
        self, kind: str, item: Held, notes: list[str]
    ) -> tuple[dt.datetime | None, str] | None:
        """A planned or sent digest whose window holds the match: it carries the story,
        will carry it, or did not (noted, and the search goes on)."""
        for delivery in self.deliveries:
            if delivery.kind != kind or not (
                delivery.window_start <= item.matched_at < delivery.window_end
            ):
                continue
            if item.published_at < delivery.window_start - LATE_ARRIVAL:
                return None  # too old for that digest, and later windows start later
            name = f"the {kind} digest of {delivery.local_date:%Y-%m-%d}"
            if delivery.status in _CARRIED:
                if item.row.article_id in self._carried_by(delivery):
                    return None, f"In {name}."
                notes.append(f"not among the top stories of {name}")
            elif delivery.status in _PENDING_DIGEST:
                check = max(delivery.due_at, self.now) + RECHECK_AFTER
                return check, f"{self.why}: left for {name}."
            # EMPTY or SKIPPED: the next digest's window says whether it comes again.
        return None

    def _in_coming(self, kind: str, item: Held) -> tuple[dt.datetime | None, str] | None:
        """A digest not planned yet whose window (as plan.py will compute it) holds it."""
        planned = {d.local_date for d in self.deliveries if d.kind == kind}
        for local_date, due in self._coming_dues(kind):
            if local_date in planned:
                continue
            start, end = self._window(kind, local_date, due)
            if start <= item.matched_at < end and item.published_at >= start - LATE_ARRIVAL:
                name = f"the {kind} digest of {local_date:%Y-%m-%d}"
                return due + RECHECK_AFTER, f"{self.why}: left for {name}."
        return None

    def _window(
        self, kind: str, local_date: dt.date, due: dt.datetime
    ) -> tuple[dt.datetime, dt.datetime]:
        """The window plan.py will give the digest of ``local_date``, as things stand."""
        if (kind, local_date) not in self._windows:
            cadence = CADENCES[kind]
            previous = last_window_ends([self.reader.pk], local_date, kind).get(self.reader.pk)
            self._windows[(kind, local_date)] = schedule.window(
                due, previous, cadence.default_window, cadence.longest_window
            )
        return self._windows[(kind, local_date)]

    def _coming_dues(self, kind: str) -> list[tuple[dt.date, dt.datetime]]:
        """The last due time if it may still be planned, and the next one."""
        at, weekday = self.reader.digest_time, self.reader.weekly_day
        last_date, last_due = latest_due(kind, self.zone, at, weekday, self.now)
        if kind == WEEKLY:
            next_date = last_date + dt.timedelta(days=7)
            coming = (next_date, schedule.due_at(self.zone, next_date, at))
        else:
            coming = schedule.next_due(self.zone, at, self.now)
        if self.now - last_due <= max_late():
            return [(last_date, last_due), coming]
        return [coming]

    def _carried_by(self, delivery: DigestDelivery) -> frozenset[int]:
        """The articles the delivered digest showed, composed again the same way."""
        if delivery.pk not in self._carried:
            digest = compose_for_reader(
                self.reader.pk, delivery.window_start, delivery.window_end, kind=delivery.kind
            )
            shown = (
                frozenset().union(*(i.story.article_ids for s in digest.sections for i in s.items))
                if digest is not None
                else frozenset()
            )
            self._carried[delivery.pk] = shown
        return self._carried[delivery.pk]


def _sentence(notes: list[str]) -> str:
    text = "; ".join(notes)
    return text[:1].upper() + text[1:] + "."


def recheck(now: dt.datetime) -> int:
    """Look again at FOR_DIGEST rows whose digest is due; return how many were looked at."""
    rows = list(
        AlertDelivery.objects.filter(status=Status.FOR_DIGEST, check_at__lte=now).order_by(
            "check_at", "id"
        )[:RECHECK_BATCH]
    )
    if not rows:
        return 0
    before = {row.pk: row.check_at for row in rows}
    decide(with_matches(rows), now)
    for row in rows:
        # Conditional: another sender that looked at the same row first wins.
        AlertDelivery.objects.filter(
            pk=row.pk, status=Status.FOR_DIGEST, check_at=before[row.pk]
        ).update(status=row.status, check_at=row.check_at, error=row.error)
    return len(rows)


def with_matches(rows: list[AlertDelivery]) -> list[Held]:
    """Stored rows with their match times (the row's own time if the match is gone)."""
    article_ids = {r.article_id for r in rows}
    matched: dict[tuple[int | None, int], dt.datetime] = {
        (topic_id, article_id): at
        for topic_id, article_id, at in TopicArticle.objects.filter(
            article_id__in=article_ids
        ).values_list("topic_id", "article_id", "matched_at")
    }
    published = dict(Article.objects.filter(id__in=article_ids).values_list("id", "published_at"))
    return [
        Held(
            row,
            matched.get((row.topic_id, row.article_id), row.created),
            published.get(row.article_id, row.created),
        )
        for row in rows
    ]


def expire(now: dt.datetime) -> int:
    """Rows waiting for a roll-up whose story is no longer news: EXPIRED, with why."""
    waiting = Q(status=Status.DEFERRED) | (Q(status=Status.FAILED) & ~Q(claimed_by=""))
    old = AlertDelivery.objects.filter(waiting, article__published_at__lt=now - NEWS_FOR)
    ids = list(old.values_list("id", flat=True)[:1000])
    if not ids:
        return 0
    return AlertDelivery.objects.filter(waiting, pk__in=ids).update(
        status=Status.EXPIRED,
        error="Held back by the hourly limit until it was more than 24 h old: no longer news.",
    )
