"""Instant alerts: an email within a minute of an article matching a topic followed instantly.

Two small steps, both safe to run in any number of processes (``sendalerts --loop``):

- ``plan_alerts``: new matches (TopicArticle rows of the last hours, for follows with
  ``instant=True`` made before the match) become AlertDelivery rows, one per reader and
  *story*, inserted under the unique (reader, story_key) key with conflicts ignored. The
  story key is the root of the article's duplicate_of chain, or the key of an alert the
  reader already had whose headline is near-identical (compose.same_title), so a wire
  copy or a rewrite at a second outlet never alerts twice. Over the hourly limit
  (NEWSDESK_ALERTS_PER_HOUR) the row is held back, never dropped: FOR_DIGEST when one of
  the reader's digests carries the story, else DEFERRED for a roll-up (held.py decides).
- ``send_alert``: claims one PENDING (or FAILED, past its backoff) row by conditional
  update, sends it and records the outcome, like the digest sender. An alert that could
  not go out within ALERT_MAX_LATE is no longer instant: like a held-back story it goes
  to the digest that carries it, else to a roll-up (held.decide). With no single
  alert due, it sends one roll-up instead: all of one reader's DEFERRED stories in one
  email, once the hour has room again (rollup.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail.message import EmailMultiAlternatives
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.digests import held, rollup, suppress
from newsdesk.digests.alert_mail import article_story, local_time, reader_email
from newsdesk.digests.compose import Story, clean_name, same_title, title_tokens
from newsdesk.digests.held import HourCount, per_hour
from newsdesk.digests.models import AlertDelivery, PlanningMark, Suppression
from newsdesk.digests.plan import reader_zone
from newsdesk.digests.render import new_message_id
from newsdesk.digests.send import MAX_ATTEMPTS, SendContext, retry_due, stuck_after
from newsdesk.topics.models import Follow, Topic, TopicArticle

log = logging.getLogger(__name__)
Status = AlertDelivery.Status
# How far back each run looks at matches; after an outage the run starts from where the
# last one got to (PlanningMark), with this overlap, never further back than a day.
LOOKBACK = dt.timedelta(hours=2)
MARK_OVERLAP = dt.timedelta(minutes=5)
# An article published long before it matched (a new saved search) is not news; a held
# back story that old is not rolled up either.
MAX_ARTICLE_AGE = held.NEWS_FOR
# How far back a near-identical headline counts as the same story.
TITLE_MEMORY = dt.timedelta(hours=72)
ALERT_MAX_LATE = dt.timedelta(minutes=30)
TOO_LATE = "Too late for an instant alert"
MARK = "alerts"
HOUR = held.HOUR


@dataclass
class _ReaderState:
    """What a reader already had: story keys, recent headlines, emails this hour."""

    this_hour: HourCount
    keys: set[int] = field(default_factory=set)
    titles: list[tuple[frozenset[str], int]] = field(default_factory=list)
    suppressed: str | None = None


def plan_alerts(now: dt.datetime | None = None) -> int:
    """Create alert rows for new instant matches; return how many rows were created."""
    now = now or timezone.now()
    created = _plan_matches(_scan_from(now), now)
    _advance_mark(now)  # after the rows are stored: a crash before this looks again
    return created


def _scan_from(now: dt.datetime) -> dt.datetime:
    usual = now - LOOKBACK
    mark = PlanningMark.objects.filter(name=MARK).values_list("reached", flat=True).first()
    if mark is None or mark >= usual:
        return usual
    return max(mark - MARK_OVERLAP, now - MAX_ARTICLE_AGE)


def _advance_mark(now: dt.datetime) -> None:
    if not PlanningMark.objects.filter(name=MARK, reached__lt=now).update(reached=now):
        PlanningMark.objects.get_or_create(name=MARK, defaults={"reached": now})


def _plan_matches(since: dt.datetime, now: dt.datetime) -> int:
    found = (
        TopicArticle.objects.filter(
            matched_at__gte=since,
            matched_at__lte=now,
            article__published_at__gte=now - MAX_ARTICLE_AGE,
        )
        .order_by("matched_at", "article_id")
        .values(
            "topic_id",
            "article_id",
            "matched_at",
            "article__title",
            "article__duplicate_of_id",
            "article__published_at",
        )
    )
    matches: list[dict[str, Any]] = [dict(m) for m in found]
    if not matches:
        return 0
    followers = _instant_followers({m["topic_id"] for m in matches})
    if not followers:
        return 0
    readers = {r for rows in followers.values() for r, _, _ in rows}
    keys = {m["article__duplicate_of_id"] or m["article_id"] for m in matches}
    states = _reader_states(readers, keys, now)
    rows: list[AlertDelivery] = []
    held_back: list[held.Held] = []
    too_late: list[held.Held] = []  # matched while the sender was down
    for match in matches:
        for reader_id, followed_at, reason in followers.get(match["topic_id"], []):
            if followed_at > match["matched_at"]:
                continue  # matched before they followed: not news to alert about
            state = states[reader_id]
            state.suppressed = reason
            late = now - match["matched_at"] > ALERT_MAX_LATE
            row = _plan_one(state, reader_id, match, now, late)
            if row is None:
                continue
            rows.append(row)
            if row.status == Status.DEFERRED:
                item = held.Held(row, match["matched_at"], match["article__published_at"])
                (too_late if late else held_back).append(item)
    held.decide(held_back, now)  # digest or roll-up
    held.decide(too_late, now, why=TOO_LATE)
    AlertDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _instant_followers(topic_ids: set[int]) -> dict[int, list[tuple[int, dt.datetime, str | None]]]:
    """topic -> (reader, followed at, suppression reason) for readers who get email."""
    suppression = Suppression.objects.filter(email=Lower(OuterRef("reader__email")))
    rows = (
        Follow.objects.filter(
            instant=True,
            topic_id__in=topic_ids,
            reader__confirmed_at__isnull=False,
            reader__unsubscribed_at__isnull=True,
            reader__paused=False,
        )
        .annotate(suppressed=Subquery(suppression.values("reason")[:1]))
        .values_list("topic_id", "reader_id", "created", "suppressed")
    )
    out: dict[int, list[tuple[int, dt.datetime, str | None]]] = {}
    for topic_id, reader_id, created, reason in rows:
        out.setdefault(topic_id, []).append((reader_id, created, reason))
    return out


def _reader_states(
    reader_ids: Iterable[int], keys: set[int], now: dt.datetime
) -> dict[int, _ReaderState]:
    """Each reader's alerts of the last TITLE_MEMORY, plus any ever made for ``keys``.

    The second part matters: a copy of a story alerted a week ago must be recognised here,
    not left to the unique key, or every step would "plan" the row the database refuses.
    """
    states = {r: _ReaderState(HourCount(now - HOUR)) for r in reader_ids}
    recent = (
        Q(created__gte=now - TITLE_MEMORY)
        | Q(story_key__in=list(keys))
        | Q(claimed_at__gte=now - HOUR)  # a roll-up counts from when it was claimed
    )
    rows = AlertDelivery.objects.filter(recent, reader_id__in=list(states)).values_list(
        "reader_id", "story_key", "title", "status", "created", "claimed_by", "claimed_at"
    )
    for reader_id, key, title, status, created, claimed_by, claimed_at in rows:
        state = states[reader_id]
        state.keys.add(key)
        if created >= now - TITLE_MEMORY:
            state.titles.append((title_tokens(title), key))
        state.this_hour.add(status, claimed_by, created, claimed_at)
    return states


def _plan_one(
    state: _ReaderState, reader_id: int, match: dict[str, Any], now: dt.datetime, late: bool
) -> AlertDelivery | None:
    article_id = match["article_id"]
    key = match["article__duplicate_of_id"] or article_id
    tokens = title_tokens(match["article__title"])
    for seen_tokens, seen_key in state.titles:
        if same_title(tokens, seen_tokens):
            key = seen_key
            break
    if key in state.keys:
        return None  # this story already reached (or was held back from) this reader
    state.keys.add(key)
    state.titles.append((tokens, key))
    row = AlertDelivery(
        reader_id=reader_id,
        article_id=article_id,
        topic_id=match["topic_id"],
        story_key=key,
        title=match["article__title"][:1000],
        created=now,
    )
    if state.suppressed:
        row.status, row.error = Status.SKIPPED, suppress.explain(state.suppressed)
    elif late:
        row.status = Status.DEFERRED  # no longer instant; held.decide: digest or roll-up
        row.error = f"{TOO_LATE}."
    elif state.this_hour.total >= per_hour():
        row.status = Status.DEFERRED  # held.decide: for a digest or a roll-up
        row.error = f"{held.limit_note()}."
    else:
        state.this_hour.singles += 1
    return row


def reap_alerts(now: dt.datetime) -> int:
    return AlertDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - stuck_after()
    ).update(
        status=Status.UNCONFIRMED,
        error="The sender stopped after claiming this alert: not known whether it was sent.",
    )


def send_alert(now: dt.datetime | None = None, context: SendContext | None = None) -> bool:
    """Send one due alert, else one due roll-up; return False when there was neither."""
    now = now or timezone.now()
    # A failed roll-up's rows carry its claim token: the roll-up retries them, not this.
    due = Q(status=Status.PENDING) | (Q(status=Status.FAILED, claimed_by="") & retry_due(now))
    row = (
        AlertDelivery.objects.filter(due, created__lte=now)
        .order_by("created", "id")
        .values("id", "status", "attempts", "created")
        .first()
    )
    if row is None:
        return rollup.send_rollup(now, context or SendContext())
    if now - row["created"] > ALERT_MAX_LATE:
        _too_late(row["id"], row["status"], now)
        return True
    message_id = new_message_id()
    claimed = AlertDelivery.objects.filter(
        pk=row["id"], status=row["status"], attempts=row["attempts"]
    ).update(
        status=Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        message_id=message_id,
        error="",
    )
    if claimed != 1:
        return True  # another sender got it
    alert = AlertDelivery.objects.select_related("reader", "topic").get(pk=row["id"])
    _deliver(alert, context or SendContext(), now)
    return True


def _too_late(pk: int, status: str, now: dt.datetime) -> None:
    """An alert the sender could not send in time is no longer instant, but the story
    still reaches the reader once: in the digest that carries it, else in a roll-up (or
    it expires when it is no longer news), exactly as for one held back by the limit."""
    late = AlertDelivery.objects.filter(pk=pk, status=status).first()
    if late is None:
        return  # another sender took it meanwhile
    held.decide(held.with_matches([late]), now, why=TOO_LATE)
    if late.status == status:
        late.status, late.error = Status.SKIPPED, f"{TOO_LATE}."
    AlertDelivery.objects.filter(pk=pk, status=status).update(
        status=late.status, check_at=late.check_at, error=late.error
    )


def _finish(alert: AlertDelivery, status: str, **fields: Any) -> None:
    AlertDelivery.objects.filter(
        pk=alert.pk, status__in=[Status.SENDING, Status.UNCONFIRMED], claimed_at=alert.claimed_at
    ).update(status=status, **fields)


def _deliver(alert: AlertDelivery, context: SendContext, now: dt.datetime) -> None:
    reader = alert.reader
    if not reader.receives_email:
        _finish(alert, Status.SKIPPED, error="The reader no longer receives email.")
        return
    reason = suppress.suppressed_reason(reader.email)
    if reason:
        _finish(alert, Status.SKIPPED, error=suppress.explain(reason))
        return
    still = Follow.objects.filter(reader=reader, topic_id=alert.topic_id or 0, instant=True)
    if not still.exists():
        _finish(alert, Status.SKIPPED, error="The reader stopped instant alerts for this topic.")
        return
    story = article_story(alert.article_id)
    if story is None:
        _finish(alert, Status.SKIPPED, error="The article is gone.")
        return
    message = alert_email(alert, reader, alert.topic, story, now)
    try:
        context.send(message)
    except Exception as exc:  # this alert only
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if suppress.suppress_refused(exc):
            _finish(alert, Status.SKIPPED, error=f"Refused for good, address suppressed: {error}")
        elif alert.attempts >= MAX_ATTEMPTS:
            _finish(alert, Status.SKIPPED, error=f"Gave up after {alert.attempts} tries: {error}")
        else:
            _finish(alert, Status.FAILED, error=error)
        return
    _finish(alert, Status.SENT, sent_at=timezone.now())


def alert_email(
    alert: AlertDelivery,
    reader: Reader,
    topic: Topic | None,
    story: Story,
    now: dt.datetime | None = None,
) -> EmailMultiAlternatives:
    topic_name = clean_name(topic.name) if topic is not None else "a topic you follow"
    context = {
        "topic_name": topic_name,
        "topic_url": settings.SITE_URL + topic.get_absolute_url() if topic is not None else "",
        "story": story,
        "when": local_time(
            story.published_at, reader_zone(reader.time_zone), now or timezone.now()
        ),
    }
    return reader_email("digests/email/alert", context, reader, alert.message_id)


def step(now: dt.datetime | None = None, context: SendContext | None = None) -> bool:
    """One unit of alert work: plan new matches, then send one alert. True if any work."""
    now = now or timezone.now()
    planned = plan_alerts(now)
    return send_alert(now, context) or planned > 0
