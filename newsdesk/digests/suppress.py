"""The suppression list: addresses we stop emailing, and the bounce log behind it.

Every path that learns about a failed address ends here: SMTP 5xx at send time
(send.py, alerts.py), delivery-status reports (bounces.py, ``processbounces``) and
provider webhooks (webhooks.py). Permanent failures and complaints suppress the
address at once; temporary ones are retried, and suppress it only when they keep coming
with nothing delivered in between (soft_bounces.py: N over D days).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import smtplib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from newsdesk.conf import ConfigError
from newsdesk.digests import soft_bounces
from newsdesk.digests.models import EmailEvent, Suppression

log = logging.getLogger(__name__)
Reason = Suppression.Reason
Kind = EmailEvent.Kind
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# A stronger reason replaces a weaker one already on the list: a complaint replaces any
# other, a permanent bounce replaces repeated temporary failures.
_REPLACES: dict[str, list[str]] = {
    Reason.COMPLAINT: [Reason.HARD_BOUNCE, Reason.MANUAL, Reason.SOFT_BOUNCES],
    Reason.HARD_BOUNCE: [Reason.SOFT_BOUNCES],
}
# Why we do not write to an address, for the person typing it into a form.
_PLAIN: dict[str, str] = {
    Reason.HARD_BOUNCE: "its mail server told us it does not exist or refuses our mail",
    Reason.COMPLAINT: "a message we sent to it was reported as spam",
    Reason.SOFT_BOUNCES: "our mail to it kept failing for days and none of it got through",
    Reason.MANUAL: "the site's operator stopped mail to it",
}


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
    """A short line for the admin and the deliveries' error column."""
    label = Reason(reason).label if reason in Reason.values else reason
    return f"Suppressed address: {label}."


def in_plain_words(reason: str) -> str:
    """Why mail to the address stopped, for its owner ("a message ... was reported ...")."""
    return _PLAIN.get(reason, "it is on our list of addresses not to email")


def blocked_notice() -> str:
    """What a public form says when it will not email an address.

    Deliberately without the reason: anyone can type any address into a form, and why we
    stopped (a complaint, bounces) is the owner's business. The owner sees the reason on
    their signed manage page (``in_plain_words``).
    """
    return (
        "We can't send email to this address. If it is yours and you want our mail again, "
        "contact the site's operator to have it unblocked."
    )


def suppress(email: str, reason: str, source: str, detail: str = "") -> bool:
    """Add ``email`` to the list; True when it was not there yet.

    Safe to repeat and to race: the unique address makes the second insert fail, and
    then a stronger reason replaces a weaker one (see _REPLACES) in one UPDATE.
    """
    email = normal(email)
    try:
        with transaction.atomic():
            Suppression.objects.create(
                email=email, reason=reason, source=source[:100], detail=detail[:2000]
            )
    except IntegrityError:
        weaker = _REPLACES.get(reason)
        if weaker:
            Suppression.objects.filter(email=email, reason__in=weaker).update(
                reason=reason, source=source[:100], detail=detail[:2000]
            )
        return False
    log.info("suppressed %s: %s (%s)", email, reason, source)
    return True


def record(outcome: Outcome) -> EmailEvent | None:
    """Log one report; suppress the address when the failure is permanent, or when it is
    temporary and the address has failed like this for days (soft_bounces.py).

    Every channel ends here (SMTP refusals through suppress_refused, DSNs, webhooks), so
    the soft-bounce rule is applied once, for all of them. Reports are written by other
    machines (a bounce is any email that looks like one): a report about something that
    cannot be an address we send to is logged and dropped (None), and NUL characters are
    removed from its texts, so no report can stop the command or webhook reading them.
    """
    if not sendable(outcome.email):
        log.warning(
            "ignored a %s report for %r: not an address we send to",
            outcome.kind,
            outcome.email[:100],
        )
        return None
    outcome = dataclasses.replace(
        outcome,
        status=_no_nul(outcome.status),
        diagnostic=_no_nul(outcome.diagnostic),
        message_id=_no_nul(outcome.message_id),
        source=_no_nul(outcome.source),
    )
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
    elif outcome.kind == Kind.SOFT_BOUNCE:
        suppress_if_failing(event.email, outcome.source)
    return event


def sendable(email: str) -> bool:
    """Whether ``email`` could be a reader's address: it fits the address columns (254
    characters, as RFC 5321 allows) and holds no control character."""
    address = normal(email)
    return (
        "@" in address
        and len(address) <= 254
        and not any(unicodedata.category(char) == "Cc" for char in address)
    )


def _no_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL (the insert raises); no status or diagnostic needs one.
    return text.replace("\x00", "")


def suppress_if_failing(email: str, source: str) -> bool:
    """Apply the soft-bounce rule to ``email``; True when it suppressed the address now."""
    try:
        applied = soft_bounces.rule()
    except ConfigError as exc:
        log.error("%s; using the defaults until it is fixed", exc)
        applied = soft_bounces.Rule()
    if applied.limit == 0 or suppressed_reason(email) is not None:
        return False
    run = soft_bounces.current_run(normal(email), applied=applied)
    if not soft_bounces.calls_for_suppression(run, applied):
        return False
    return suppress(email, Reason.SOFT_BOUNCES, source, run.detail(applied))


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


def suppress_refused(exc: Exception, source: str = soft_bounces.SEND_TIME_SOURCE) -> list[str]:
    """Record an SMTP refusal; return the addresses it refused for good (5xx), if any.

    A 4xx that tips an address over the soft-bounce rule suppresses it too, but is not
    returned: the sender keeps the message for a retry, which then finds the address
    suppressed and records why (suppress.explain).
    """
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
