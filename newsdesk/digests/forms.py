"""The "manage subscription" form: what a reader can change from a link in any email."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

from django import forms

from newsdesk.accounts.models import Reader, Weekday
from newsdesk.topics.models import Follow

HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
CHANNELS = ("daily", "weekly", "instant")


@functools.cache
def zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ManageForm(forms.Form):
    """Reader settings plus one daily / weekly / instant row per followed topic.

    Unticking all three boxes of a topic stops it (the follow is removed).
    """

    paused = forms.BooleanField(
        label="Pause all emails", required=False, help_text="Your topics stay followed."
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=zone_choices)
    digest_hour = forms.TypedChoiceField(label="Digest time", choices=HOURS, coerce=int)
    weekly_day = forms.TypedChoiceField(
        label="Weekly digest day", choices=Weekday.choices, coerce=int
    )

    def __init__(self, *args: Any, reader: Reader, follows: list[Follow], **kwargs: Any) -> None:
        initial: dict[str, Any] = {
            "paused": reader.paused,
            "time_zone": reader.time_zone,
            "digest_hour": reader.digest_time.hour,
            "weekly_day": reader.weekly_day,
        }
        for follow in follows:
            for channel in CHANNELS:
                initial[f"follow-{follow.pk}-{channel}"] = getattr(follow, channel)
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.reader, self.follows = reader, follows
        for follow in follows:
            for channel in CHANNELS:
                self.fields[f"follow-{follow.pk}-{channel}"] = forms.BooleanField(
                    label=f"{follow.topic.name}: {channel}", required=False
                )
        if reader.unsubscribed_at is not None:
            self.fields["resubscribe"] = forms.BooleanField(
                label="Send me emails again", required=False
            )

    def rows(self) -> list[tuple[Follow, list[forms.BoundField]]]:
        """(follow, its three checkboxes) for the template's topic table."""
        return [(f, [self[f"follow-{f.pk}-{c}"] for c in CHANNELS]) for f in self.follows]

    def save(self) -> None:
        reader, data = self.reader, self.cleaned_data
        reader.paused = data["paused"]
        reader.time_zone = data["time_zone"]
        if data["digest_hour"] != reader.digest_time.hour:  # keep an operator-set 07:30
            reader.digest_time = dt.time(data["digest_hour"], 0)
        reader.weekly_day = data["weekly_day"]
        fields = ["paused", "time_zone", "digest_time", "weekly_day"]
        if data.get("resubscribe"):
            reader.unsubscribed_at = None
            fields.append("unsubscribed_at")
        reader.save(update_fields=fields)
        for follow in self.follows:
            chosen = {c: bool(data.get(f"follow-{follow.pk}-{c}")) for c in CHANNELS}
            if not any(chosen.values()):
                follow.delete()
            elif any(getattr(follow, c) != v for c, v in chosen.items()):
                for channel, value in chosen.items():
                    setattr(follow, channel, value)
                follow.save(update_fields=list(CHANNELS))
