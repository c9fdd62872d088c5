"""Roll-ups: the stories the hourly alert limit held back, in one email.

Over NEWSDESK_ALERTS_PER_HOUR a match is held back (alerts.plan_alerts); held.decide
leaves it to a digest that carries it, else it is DEFERRED here. As soon as the reader's
last hour has room again, all their DEFERRED rows go out as one email, grouped by topic,
each story once with its snippet, links and publication time in the reader's zone, with
the single alert's headers and footer (alert_mail). A roll-up counts as one email against
the limit, from when it was claimed (held.HourCount).

Exactly once, like send.py: one conditional UPDATE moves all of the reader's waiting rows
(DEFERRED, or a failed roll-up's past its backoff) to SENDING and stamps them with the
roll-up's token and Message-ID; only rows carrying the token are sent and finished. A
sender killed after claiming leaves them SENDING; alerts.reap_alerts marks them
UNCONFIRMED, and nothing claims those again. If two senders claim parts of one reader's
rows at once, the one holding the reader's oldest row sends and the other hands its rows
back, so a reader never gets two roll-ups for one hour's room. Suppressed addresses,
unsubscribed or paused readers and topics no longer followed instantly get nothing; the
rows say why.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.mail.message import EmailMultiAlternatives
from django.db.models import F, Min, Q
from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.digests import held, suppress
from newsdesk.digests.alert_mail import article_stories, local_time, reader_email
from newsdesk.digests.compose import Story, clean_name
from newsdesk.digests.held import NEWS_FOR, per_hour
from newsdesk.digests.models import AlertDelivery
from newsdesk.digests.plan import reader_zone
from newsdesk.digests.render import new_message_id, story_fragments, subject_topics
from newsdesk.digests.send import MAX_ATTEMPTS, SendContext, _crash_point, retry_due
from newsdesk.topics.models import Follow

log = logging.getLogger(__name__)
Status = AlertDelivery.Status
# Readers looked at per step for room in their hour, longest waiting first.
CANDIDATES = 200


def claimable(now: dt.datetime) -> Q:
    """Rows a roll-up may take: held back for one, or a failed roll-up's past its backoff."""
    failed_rollup = Q(status=Status.FAILED) & ~Q(claimed_by="") & retry_due(now)
    return Q(status=Status.DEFERRED) | failed_rollup


def send_rollup(now: dt.datetime, context: SendContext) -> bool:
    """Expire, recheck, then send one due roll-up; return False when there was no work."""
    work = held.expire(now) > 0
    work = held.recheck(now) > 0 or work
    reader_id = next_reader(now)
    if reader_id is None:
        return work
    claim_and_send(reader_id, now, context)
    return True


def next_reader(now: dt.datetime) -> int | None:
    """The reader whose held-back stories waited longest, among those with room now."""
    waiting = (
        AlertDelivery.objects.filter(claimable(now))
        .values("reader_id")
        .annotate(first=Min("created"))
        .order_by("first", "reader_id")[:CANDIDATES]
    )
    candidates = [row["reader_id"] for row in waiting]
    if not candidates:
        return None
    # A roll-up on its way, or failed and waiting out its backoff: that one goes first.
    busy = Q(status=Status.SENDING) | (Q(status=Status.FAILED) & ~retry_due(now))
    in_flight = set(
        AlertDelivery.objects.filter(busy, reader_id__in=candidates)
        .exclude(claimed_by="")
        .values_list("reader_id", flat=True)
    )
    counts = held.hour_counts(candidates, now)
    for reader_id in candidates:
        if reader_id not in in_flight and counts[reader_id].total < per_hour():
            return reader_id
    return None


def claim_and_send(reader_id: int, now: dt.datetime, context: SendContext) -> None:
    token = secrets.token_hex(8)
    claimed = AlertDelivery.objects.filter(claimable(now), reader_id=reader_id).update(
        status=Status.SENDING,
        claimed_by=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        message_id=new_message_id(),
        error="",
    )
    if not claimed:
        return  # another sender took them
    if not _still_ours(reader_id, token, now):
        _release(token)
        return
    rows = list(
        AlertDelivery.objects.filter(claimed_by=token, status=Status.SENDING)
        .select_related("topic")
        .order_by("created", "id")
    )
    _crash_point("rollup_after_claim")
    deliver(rows, reader_id, token, context, now)


def _still_ours(reader_id: int, token: str, now: dt.datetime) -> bool:
    """After the claim: no other roll-up of this reader holding an older row is on its way,
    and the hour still has room (another sender's roll-up may have gone out meanwhile)."""
    first: dict[str, int] = {}
    for claimed_by, pk in (
        AlertDelivery.objects.filter(reader_id=reader_id, status=Status.SENDING)
        .exclude(claimed_by="")
        .values_list("claimed_by", "id")
    ):
        first[claimed_by] = min(first.get(claimed_by, pk), pk)
    mine = first.pop(token, None)
    if mine is None or any(pk < mine for pk in first.values()):
        return False
    count = held.hour_counts([reader_id], now)[reader_id]
    count.rollups -= {token, *first}  # ours, and those about to hand theirs back
    return count.total < per_hour()


def _release(token: str) -> None:
    AlertDelivery.objects.filter(claimed_by=token, status=Status.SENDING).update(
        status=Status.DEFERRED,
        claimed_by="",
        claimed_at=None,
        attempts=F("attempts") - 1,
        error="Handed back: another roll-up for this reader was on its way.",
    )


def deliver(
    rows: list[AlertDelivery],
    reader_id: int,
    token: str,
    context: SendContext,
    now: dt.datetime,
) -> None:
    """Send one claimed roll-up and record the outcome on each of its rows."""
    reader = Reader.objects.filter(pk=reader_id).first()
    if reader is None or not rows:
        return  # deleted: the rows went with the reader
    if not reader.receives_email:
        _finish(token, rows, Status.SKIPPED, error="The reader no longer receives email.")
        return
    reason = suppress.suppressed_reason(reader.email)
    if reason:
        _finish(token, rows, Status.SKIPPED, error=suppress.explain(reason))
        return
    following = set(
        Follow.objects.filter(
            reader=reader, instant=True, topic_id__in={r.topic_id for r in rows}
        ).values_list("topic_id", flat=True)
    )
    stopped = [r for r in rows if r.topic_id not in following]
    gone = "The reader stopped instant alerts for this topic."
    _finish(token, stopped, Status.SKIPPED, error=gone)
    stories = article_stories(r.article_id for r in rows if r.topic_id in following)
    kept = [r for r in rows if r.topic_id in following and r.article_id in stories]
    stale = [r for r in kept if stories[r.article_id].published_at < now - NEWS_FOR]
    _finish(token, stale, Status.EXPIRED, error="Published more than 24 h ago: no longer news.")
    kept = [r for r in kept if r not in stale]
    if not kept:
        return
    message = rollup_email(reader, kept, stories, kept[0].message_id, now)
    try:
        context.send(message)
    except Exception as exc:  # this roll-up only
        _failed(token, kept, exc)
        return
    _finish(token, kept, Status.SENT, sent_at=timezone.now())


def _finish(token: str, rows: list[AlertDelivery], status: str, **fields: Any) -> None:
    # Only our own claim; if the reaper gave up on us meanwhile, the truth still wins.
    if not rows:
        return
    changed = AlertDelivery.objects.filter(
        pk__in=[r.pk for r in rows],
        claimed_by=token,
        status__in=[Status.SENDING, Status.UNCONFIRMED],
    ).update(status=status, **fields)
    if changed != len(rows):
        log.warning("%d of %d roll-up rows changed hands before being marked %s",
                    len(rows) - changed, len(rows), status)  # fmt: skip


def _failed(token: str, rows: list[AlertDelivery], exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    log.warning("roll-up %s failed: %s", token, error)
    if suppress.suppress_refused(exc):
        _finish(token, rows, Status.SKIPPED, error=f"Refused for good, address suppressed: {error}")
        return
    spent = [r for r in rows if r.attempts >= MAX_ATTEMPTS]
    _finish(token, spent, Status.SKIPPED, error=f"Gave up after {MAX_ATTEMPTS} tries: {error}")
    _finish(token, [r for r in rows if r not in spent], Status.FAILED, error=error)


def rollup_email(
    reader: Reader,
    rows: list[AlertDelivery],
    stories: dict[int, Story],
    message_id: str,
    now: dt.datetime,
) -> EmailMultiAlternatives:
    """One email for the held-back rows: a section per topic, each story once."""
    zone = reader_zone(reader.time_zone)
    sections: dict[int, dict[str, Any]] = {}
    for row in rows:
        topic = row.topic
        assert topic is not None  # rows without a followed topic were skipped
        section = sections.setdefault(
            topic.pk,
            {
                "name": clean_name(topic.name),
                "url": settings.SITE_URL + topic.get_absolute_url(),
                "items": [],
            },
        )
        story = stories[row.article_id]
        html, text = story_fragments(story)  # the digest's own story pieces
        section["items"].append(
            {
                "at": story.published_at,
                "html": html,
                "text": text.rstrip(),
                "when": local_time(story.published_at, zone, now),
            }
        )
    for section in sections.values():
        section["items"].sort(key=lambda item: item["at"])
    names = [s["name"] for s in sections.values()]
    context = {
        "count": len(rows),
        "topics": subject_topics(names),
        "topic_list": " and ".join(names) if len(names) <= 2 else ", ".join(names),
        "sections": list(sections.values()),
        "per_hour": per_hour(),
    }
    return reader_email("digests/email/rollup", context, reader, message_id)
