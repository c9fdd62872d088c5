from __future__ import annotations

import logging
import unicodedata
import zoneinfo

from django import forms

from newsdesk.digests.suppress import blocked_notice, suppressed_reason

log = logging.getLogger(__name__)


def valid_zone(value: str) -> str:
    """An IANA zone name from the browser's guess, or UTC when it is missing or unknown."""
    value = (value or "").strip()
    if not value or len(value) > 64:
        return "UTC"
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return value


def refuse_suppressed(email: str, what: str) -> None:
    """A form error (and a log line) when ``email`` is on the suppression list: nothing
    can be mailed to it, so a confirmation link would never arrive."""
    reason = suppressed_reason(email)
    if reason is not None:
        log.info("%s for suppressed address %s refused (%s)", what, email, reason)
        raise forms.ValidationError(blocked_notice(), code="suppressed")


def refuse_unmailable(email: str) -> None:
    """A form error for an address Django's validator accepts that no message should go to.

    A quoted local part may hold control characters (a vertical tab between the quotes of
    "a b"@example.com): stored, they made every email's To header malformed. An address
    literal (user@[127.0.0.1]) or a dotless domain (user@localhost) would have our mail
    server deliver to itself or its network.
    """
    domain = email.rpartition("@")[2]
    if any(unicodedata.category(char) == "Cc" for char in email):
        raise forms.ValidationError(
            "An email address cannot contain control characters.", code="invalid"
        )
    if domain.startswith("[") or "." not in domain:
        raise forms.ValidationError(
            "Enter an address on a public mail domain, such as name@example.com.", code="invalid"
        )


class FollowForm(forms.Form):
    email = forms.EmailField(label="Your email address", max_length=254)
    daily = forms.BooleanField(label="Daily digest, every morning", required=False, initial=True)
    weekly = forms.BooleanField(label="Weekly digest", required=False)
    instant = forms.BooleanField(label="Instant alerts", required=False)
    # Filled by a small script from Intl.DateTimeFormat().resolvedOptions().timeZone.
    time_zone = forms.CharField(required=False, widget=forms.HiddenInput)
    page_url = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        refuse_unmailable(email)
        refuse_suppressed(email, "follow request")
        return email

    def clean_time_zone(self) -> str:
        return valid_zone(self.cleaned_data.get("time_zone", ""))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not (data.get("daily") or data.get("weekly") or data.get("instant")):
            raise forms.ValidationError("Choose at least one way to hear about this topic.")
        return data
