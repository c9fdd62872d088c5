"""Repeated temporary failures: when soft bounces add up to an address we stop mailing.

One soft bounce (a full mailbox, a busy server, a greylisting 4xx) says nothing: the
message is retried. An address that soft-bounces on every send for weeks is dead in
practice, and mailing it forever hurts the sender's reputation. The rule, as the big
email services apply it: at least ``NEWSDESK_SOFT_BOUNCE_LIMIT`` soft bounces (default
5) spread over at least ``NEWSDESK_SOFT_BOUNCE_DAYS`` days (default 7) with no
successful delivery to the address after the first of them. A limit of 0 turns the rule
off; 0 days drops the spread condition. Soft bounces older than ``WINDOW`` (or twice the
days, if longer) are forgotten, so a failure before a long pause does not count.

What counts as a successful delivery: nothing reports one per address except our own
ledgers, so it is a DigestDelivery or AlertDelivery to the address marked SENT (the mail
server accepted it), plus any DELIVERED EmailEvent. A server accepting a message is not
the message arriving: a relay or provider may accept it and report a delay later. So a
sent message only counts if no soft bounce is about it. A report names its message by
Message-ID when it can (DSNs carry the original's, and so do most webhook events); one
that names none we sent is taken to be about the latest message sent before it. A
refusal at send time (source "smtp") is about a message that was never accepted, so it
says nothing about earlier ones. Repeated reports about one message count once.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.conf import ConfigError, env_int
from newsdesk.digests.models import AlertDelivery, DigestDelivery, EmailEvent

LIMIT_ENV = "NEWSDESK_SOFT_BOUNCE_LIMIT"
DAYS_ENV = "NEWSDESK_SOFT_BOUNCE_DAYS"
DEFAULT_LIMIT = 5
DEFAULT_DAYS = 7
WINDOW = dt.timedelta(days=60)
# The source suppress.suppress_refused gives refusals at send time.
SEND_TIME_SOURCE = "smtp"


@dataclass(frozen=True)
class Rule:
    limit: int = DEFAULT_LIMIT  # 0: never suppress for soft bounces
    days: int = DEFAULT_DAYS

    @property
    def span(self) -> dt.timedelta:
        return dt.timedelta(days=self.days)

    @property
    def window(self) -> dt.timedelta:
        return max(WINDOW, 2 * self.span)


def rule(environ: Mapping[str, str] = os.environ) -> Rule:
    """The rule from the environment; ConfigError (naming the variable) for a bad value."""
    limit = env_int(LIMIT_ENV, DEFAULT_LIMIT, environ)
    days = env_int(DAYS_ENV, DEFAULT_DAYS, environ)
    if limit < 0:
        raise ConfigError(f"{LIMIT_ENV} must be 0 (off) or more, not {limit}")
    if days < 0:
        raise ConfigError(f"{DAYS_ENV} must be 0 or more, not {days}")
    return Rule(limit, days)


@dataclass(frozen=True)
class Run:
    """Soft bounces to one address with nothing delivered since the first of them."""

    failures: int  # distinct messages (or refusals) that failed
    first: dt.datetime
    last: dt.datetime
    last_report: str  # the latest status and diagnostic

    def detail(self, applied: Rule) -> str:
        return (
            f"{self.failures} temporary failures from {self.first:%Y-%m-%d %H:%M} to "
            f"{self.last:%Y-%m-%d %H:%M} UTC with nothing delivered in between (limit: "
            f"{applied.limit} over {applied.days} days). Last: {self.last_report}"
        )


@dataclass(frozen=True)
class _Sent:
    at: dt.datetime
    key: tuple[str, int]  # ("digest" | "alert", pk)
    message_id: str


def message_key(message_id: str) -> str:
    """A Message-ID compared without its angle brackets or surrounding space."""
    return message_id.strip().strip("<>").strip()


def current_run(email: str, now: dt.datetime | None = None, applied: Rule | None = None) -> Run:
    """The soft bounces to ``email`` (lower-cased) since its last successful delivery."""
    applied = applied or Rule()
    now = now or timezone.now()
    bounces = list(
        EmailEvent.objects.filter(
            email=email, kind=EmailEvent.Kind.SOFT_BOUNCE, created__gte=now - applied.window
        ).order_by("created", "id")
    )
    if not bounces:
        return Run(0, now, now, "")
    sent = _sent_since(email, bounces[0].created)
    failed = _failed_messages(bounces, sent)
    successes = [s.at for s in sent if s.key not in failed]
    successes += EmailEvent.objects.filter(
        email=email, kind=EmailEvent.Kind.DELIVERED, created__gte=bounces[0].created
    ).values_list("created", flat=True)
    if successes:
        latest = max(successes)
        bounces = [b for b in bounces if b.created > latest]
    if not bounces:
        return Run(0, now, now, "")
    messages = {message_key(b.message_id) or f"event {b.pk}" for b in bounces}
    last = bounces[-1]
    report = f"{last.status} {last.diagnostic}".strip()
    return Run(len(messages), bounces[0].created, last.created, report)


def calls_for_suppression(run: Run, applied: Rule) -> bool:
    return (
        applied.limit > 0 and run.failures >= applied.limit and run.last - run.first >= applied.span
    )


def _sent_since(email: str, since: dt.datetime) -> list[_Sent]:
    """Digests and alerts to the address that the mail server accepted since ``since``."""
    readers = Reader.objects.filter(email__iexact=email).values("pk")
    digests = DigestDelivery.objects.filter(
        reader__in=readers, status=DigestDelivery.Status.SENT, sent_at__gte=since
    ).values_list("pk", "sent_at", "message_id")
    alerts = AlertDelivery.objects.filter(
        reader__in=readers, status=AlertDelivery.Status.SENT, sent_at__gte=since
    ).values_list("pk", "sent_at", "message_id")
    rows = [_Sent(at, ("digest", pk), mid) for pk, at, mid in digests if at is not None]
    rows += [_Sent(at, ("alert", pk), mid) for pk, at, mid in alerts if at is not None]
    return sorted(rows, key=lambda s: (s.at, s.key))


def _failed_messages(bounces: list[EmailEvent], sent: list[_Sent]) -> set[tuple[str, int]]:
    """The sent messages the soft bounces are about (see the module's docstring)."""
    by_id = {message_key(s.message_id): s.key for s in sent if message_key(s.message_id)}
    failed = set()
    for bounce in bounces:
        named = by_id.get(message_key(bounce.message_id))
        if named is not None:
            failed.add(named)
        elif bounce.source != SEND_TIME_SOURCE:
            earlier = [s for s in sent if s.at <= bounce.created]
            if earlier:
                failed.add(earlier[-1].key)
    return failed
