"""Readers: the people digests go to, with or without a site account."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone") from None


class Weekday(models.IntegerChoices):
    # Python's date.weekday() numbering, so schedule.py compares without a table.
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Reader(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reader",
    )
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    digest_time = models.TimeField(default=dt.time(7, 0))
    # The weekly digest goes out on this local day of the week, at digest_time.
    weekly_day = models.PositiveSmallIntegerField(
        "weekly digest day", choices=Weekday.choices, default=Weekday.MONDAY
    )
    paused = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def receives_email(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None and not self.paused


class Consent(models.Model):
    """What a visitor agreed to, where and when: the record double opt-in rests on.

    One row per follow request; ``confirmed_at`` is set when they click the emailed link.
    The follow itself is only created then (see accounts/views.py), so nothing but the
    confirmation email is ever sent to an address before its owner confirms.
    """

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="consents")
    topic = models.ForeignKey(
        "topics.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    daily = models.BooleanField(default=True)
    weekly = models.BooleanField(default=False)
    instant = models.BooleanField(default=False)
    page_url = models.URLField(max_length=2000, blank=True)
    text_shown = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.reader} consent {self.created:%Y-%m-%d %H:%M}"
