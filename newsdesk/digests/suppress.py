"""The suppression list: addresses we stop emailing, and the bounce log behind it.

Every path that learns about a failed address ends here: SMTP 5xx at send time
(send.py, alerts.py), delivery-status reports (bounces.py, ``processbounces``) and
provider webhooks (webhooks.py). Permanent failures and complaints suppress the
address; temporary ones are only logged (the sender's own backoff retries them).
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from newsdesk.digests.models import EmailEvent, Suppression

log = logging.getLogger(__name__)
Reason = Suppression.Reason
Kind = EmailEvent.Kind
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Outcome:
    """One report about one address, whatever channel it came through."""

    email: str
    kind: str  # EmailEvent.Kind
    status: str = ""
    diagnostic: str = ""
    message_id: str = ""
    source: str = ""


def normal(email: str) -> str:
    return email.strip().lower()


def suppressed_reason(email: str) -> str | None:
    """The reason ``email`` is suppressed, or None when we may write to it."""
    row = Suppression.objects.filter(email=normal(email)).values_list("reason", flat=True)
    return row.first()


def reasons(emails: Iterable[str]) -> dict[str, str]:
    """{lower-cased email: reason} for the suppressed ones among ``emails`` (one query)."""
    wanted = list({normal(e) for e in emails})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = Suppression.objects.filter(email__in=wanted[start : start + 500])
        found.update(rows.values_list("email", "reason"))
    return found


def is_suppressed_expr() -> Exists:
    """For Reader querysets: whether the reader's address is on the suppression list."""
    return Exists(Suppression.objects.filter(email=Lower(OuterRef("email"))))


def explain(reason: str) -> str:
    label = Reason(reason).label if reason in Reason.values else reason
    return f"Suppressed address: {label}."


def suppress(email: str, reason: str, source: str, detail: str = "") -> bool:
    """Add ``email`` to the list; True when it was not there yet. A complaint wins."""
    email = normal(email)
    try:
        with transaction.atomic():
            Suppression.objects.create(
                email=email, reason=reason, source=source[:100], detail=detail[:2000]
            )
    except IntegrityError:
        if reason == Reason.COMPLAINT:
            Suppression.objects.filter(email=email).exclude(reason=reason).update(reason=reason)
        return False
    log.info("suppressed %s: %s (%s)", email, reason, source)
    return True


def record(outcome: Outcome) -> EmailEvent:
    """Log one report; suppress the address when the failure is permanent."""
    event = EmailEvent.objects.create(
        email=normal(outcome.email),
        kind=outcome.kind,
        status=outcome.status[:20],
        diagnostic=outcome.diagnostic[:2000],
        message_id=outcome.message_id[:300],
        source=outcome.source[:100],
    )
    if outcome.kind == Kind.BOUNCE:
        suppress(outcome.email, Reason.HARD_BOUNCE, outcome.source, outcome.diagnostic)
    elif outcome.kind == Kind.COMPLAINT:
        suppress(outcome.email, Reason.COMPLAINT, outcome.source, outcome.diagnostic)
    return event


def enhanced_status(text: str) -> str:
    """The RFC 3463 code in ``text`` ("5.1.1"), or ""."""
    match = _ENHANCED.search(text or "")
    return match.group(0) if match else ""


def is_permanent(code: int, text: str = "") -> bool:
    """A 5xx reply is permanent, except a full mailbox (X.2.2), which may empty again."""
    status = enhanced_status(text)
    if status.endswith(".2.2"):
        return False
    if status:
        return status.startswith("5.")
    return 500 <= code < 600


def refused_recipients(exc: Exception) -> list[tuple[str, int, str]]:
    """(address, code, text) for each recipient the server refused in ``exc``."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        out = []
        for recipient, (code, message) in exc.recipients.items():
            # Django passes "Name <addr>" to smtplib, and smtplib keys refusals by it.
            address = parseaddr(str(recipient))[1] or str(recipient)
            text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
            out.append((address, int(code), str(text)))
        return out
    return []


def suppress_refused(exc: Exception, source: str = "smtp") -> list[str]:
    """Record an SMTP refusal; return the addresses it suppressed (5xx), if any."""
    suppressed = []
    for address, code, text in refused_recipients(exc):
        permanent = is_permanent(code, text)
        record(
            Outcome(
                email=address,
                kind=Kind.BOUNCE if permanent else Kind.SOFT_BOUNCE,
                status=enhanced_status(text) or str(code),
                diagnostic=f"{code} {text}",
                source=source,
            )
        )
        if permanent:
            suppressed.append(normal(address))
    return suppressed
