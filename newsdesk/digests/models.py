"""The delivery ledger: one row per reader per local digest date.

The unique constraint is what makes "exactly one digest per reader per morning" hold with
any number of sender processes: a row is claimed by a conditional update before sending
and marked sent after (see digests/send.py).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class DigestDelivery(models.Model):
    class Kind(models.TextChoices):
        DAILY = "daily", "Daily digest"
        WEEKLY = "weekly", "Weekly digest"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENDING = "sending", "Claimed by a sender"
        SENT = "sent", "Sent"
        EMPTY = "empty", "Nothing new: not sent"
        FAILED = "failed", "Failed, will retry"
        SKIPPED = "skipped", "Too late: skipped"
        UNCONFIRMED = "unconfirmed", "Sender died: not known whether sent"

    reader = models.ForeignKey(
        "accounts.Reader", on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DAILY)
    local_date = models.DateField()
    # When the digest is due, in UTC (reader's local digest time on local_date).
    due_at = models.DateTimeField(db_index=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The batch claim that owns the row (send.py claims many rows in one UPDATE and reads
    # back its own by this token).
    claimed_by = models.CharField(max_length=32, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    article_count = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-local_date", "reader_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "kind", "local_date"], name="delivery_once_per_local_date"
            )
        ]
        # Index for (status, due_at): every send step asks for the earliest due PLANNED
        # rows (digests/send.py); without it that is a sort of the whole morning's rows.
        indexes = [models.Index(fields=["status", "due_at"], name="delivery_status_due")]

    def __str__(self) -> str:
        return f"{self.kind} digest for {self.reader} on {self.local_date}"


class AlertDelivery(models.Model):
    """The instant-alert ledger: one row per reader per story, never two.

    ``story_key`` is the story's lead article (the root of its duplicate_of chain, or the
    earlier alert a near-identical headline joins), so the unique key is what makes
    "never the same story twice" hold across outlets and senders (digests/alerts.py).

    Over the hourly limit a row is held back: FOR_DIGEST when one of the reader's digests
    carries the story (digests/held.py checks that it did), else DEFERRED until one roll-up
    email carries all of the reader's held-back stories (digests/rollup.py); the rows of
    one roll-up share its ``claimed_by`` token and Message-ID.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Claimed by a sender"
        SENT = "sent", "Sent"
        DEFERRED = "deferred", "Hourly limit reached: waiting for a roll-up"
        FOR_DIGEST = "for_digest", "Hourly limit reached: left for the digest"
        EXPIRED = "expired", "Held back too long: no longer news"
        FAILED = "failed", "Failed, will retry"
        SKIPPED = "skipped", "Not sent"
        UNCONFIRMED = "unconfirmed", "Sender died: not known whether sent"

    reader = models.ForeignKey("accounts.Reader", on_delete=models.CASCADE, related_name="alerts")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(
        "topics.Topic", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    story_key = models.BigIntegerField()
    title = models.CharField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The roll-up claim that owns the row (one token per roll-up email); empty for a
    # single alert.
    claimed_by = models.CharField(max_length=32, blank=True, db_index=True)
    # FOR_DIGEST rows: when to look whether the digest went out with the story; None once
    # that is settled.
    check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "story_key"], name="alert_once_per_story")
        ]

    def __str__(self) -> str:
        return f"alert to {self.reader} about {self.title[:60]}"


class PlanningMark(models.Model):
    """How far a planner has looked (one row per planner, e.g. "alerts").

    The alert planner looks at the last two hours of matches on every run; after the
    sender was down for longer, its next run starts from here instead (never more than a
    day back), so the matches of the outage are not skipped.
    """

    name = models.CharField(max_length=40, primary_key=True)
    reached = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} planned up to {self.reached:%Y-%m-%d %H:%M}"


class Suppression(models.Model):
    """An address we no longer email: it bounced for good, complained, kept failing
    temporarily with nothing delivered (digests/soft_bounces.py), or an operator said so.

    Plan and send skip its readers with this reason recorded; confirmations are not sent.
    Addresses are stored lower-cased.
    """

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Permanent bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Added by an operator"
        SOFT_BOUNCES = "soft_bounces", "Repeated temporary failures"

    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    # Where we learned it: "smtp", "dsn", "webhook", "anymail:<esp>", "admin".
    source = models.CharField(max_length=100, blank=True)
    detail = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class EmailEvent(models.Model):
    """What a mail server or provider told us about one message: the bounce log.

    Permanent failures and complaints also create a Suppression at once. Temporary ones
    are retried (by the sending MTA, or our own backoff for 4xx at send time) and only
    suppress the address when they keep coming with nothing delivered in between
    (digests/soft_bounces.py).
    """

    class Kind(models.TextChoices):
        BOUNCE = "bounce", "Permanent bounce"
        SOFT_BOUNCE = "soft_bounce", "Temporary failure"
        COMPLAINT = "complaint", "Complaint"
        DELIVERED = "delivered", "Delivered"
        OTHER = "other", "Other"

    email = models.EmailField(max_length=254, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=20, blank=True)  # enhanced code, "5.1.1"
    diagnostic = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    source = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.kind} {self.email} {self.status}"
