"""The delivery ledger: one row per reader per local digest date.

The unique constraint is what makes "exactly one digest per reader per morning" hold with
any number of sender processes: a row is claimed by a conditional update before sending
and marked sent after (see digests/send.py).
"""

from __future__ import annotations

from django.db import models


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
