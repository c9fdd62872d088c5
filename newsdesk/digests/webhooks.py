"""Bounce and complaint events from email providers: ``POST /email/events/``.

Authenticated by a shared secret (setting NEWSDESK_EMAIL_WEBHOOK_SECRET) given as
``?token=`` in the URL, an ``X-Newsdesk-Webhook-Secret`` header or ``Authorization:
Bearer``; the endpoint answers 404 while no secret is set. The body is JSON: one event,
a list of events, or ``{"events": [...]}``. Each event is either our generic shape::

    {"type": "bounce" | "complaint" | "deferred" | "soft_bounce",
     "email": "ann@example.com", "permanent": true, "status": "5.1.1",
     "diagnostic": "550 5.1.1 no such user", "message_id": "<...>"}

or django-anymail's normalised tracking event serialised as JSON (``event_type``,
``recipient``, ``reject_reason``, ``mta_response``, ``message_id``). When anymail is
installed (optional), its own per-provider webhook views work too: apps.py connects
``anymail_tracking`` to its ``tracking`` signal, and they all end in suppress.record.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from newsdesk.digests.suppress import Kind, Outcome, enhanced_status, is_permanent, record

log = logging.getLogger(__name__)
MAX_EVENTS = 1000
# anymail's event_type -> our kind ("rejected" depends on its reject_reason). Deliveries,
# opens and clicks are not stored: a provider reporting every delivery would add a row
# per message sent, and nothing here acts on them.
_ANYMAIL = {
    "bounced": Kind.BOUNCE,
    "complained": Kind.COMPLAINT,
    "deferred": Kind.SOFT_BOUNCE,
}
_ANYMAIL_REJECTED = {"bounced": Kind.BOUNCE, "invalid": Kind.BOUNCE, "spam": Kind.COMPLAINT}
_GENERIC = {
    "bounce": Kind.BOUNCE,
    "hard_bounce": Kind.BOUNCE,
    "soft_bounce": Kind.SOFT_BOUNCE,
    "deferred": Kind.SOFT_BOUNCE,
    "complaint": Kind.COMPLAINT,
}


def _secret_given(request: HttpRequest) -> str:
    auth = request.headers.get("Authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    return (
        request.GET.get("token") or request.headers.get("X-Newsdesk-Webhook-Secret") or bearer or ""
    )


@csrf_exempt  # a provider's server posts here; the shared secret is the proof
@require_POST
def email_events(request: HttpRequest) -> HttpResponse:
    secret = settings.NEWSDESK_EMAIL_WEBHOOK_SECRET
    if not secret:
        raise Http404("The email events webhook is not enabled.")
    if not hmac.compare_digest(_secret_given(request).encode(), secret.encode()):
        return JsonResponse({"error": "bad or missing secret"}, status=403)
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"error": "the body is not JSON"}, status=400)
    events = payload.get("events", [payload]) if isinstance(payload, dict) else payload
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        return JsonResponse({"error": f"expected up to {MAX_EVENTS} events"}, status=400)
    accepted = 0
    for event in events:
        outcome = outcome_from_json(event) if isinstance(event, dict) else None
        if outcome is not None and record(outcome) is not None:
            accepted += 1
    return JsonResponse({"accepted": accepted, "ignored": len(events) - accepted})


def outcome_from_json(event: Mapping[str, Any]) -> Outcome | None:
    """Our generic event or an anymail-shaped one; None for what we do not act on."""
    if "event_type" in event:
        return anymail_outcome(
            event_type=str(event.get("event_type") or ""),
            recipient=str(event.get("recipient") or ""),
            reject_reason=str(event.get("reject_reason") or ""),
            mta_response=str(event.get("mta_response") or event.get("description") or ""),
            message_id=str(event.get("message_id") or ""),
            source="webhook:anymail-json",
        )
    address = str(event.get("email") or event.get("recipient") or "")
    kind = _GENERIC.get(str(event.get("type") or "").lower())
    if "@" not in address or kind is None:
        return None
    diagnostic = str(event.get("diagnostic") or "")
    status = str(event.get("status") or "") or enhanced_status(diagnostic)
    if kind == Kind.BOUNCE and "permanent" in event:
        kind = Kind.BOUNCE if event["permanent"] is True else Kind.SOFT_BOUNCE
    elif kind == Kind.BOUNCE and status and not is_permanent(0, status):
        kind = Kind.SOFT_BOUNCE
    return Outcome(
        email=address,
        kind=kind,
        status=status,
        diagnostic=diagnostic,
        message_id=str(event.get("message_id") or ""),
        source="webhook",
    )


def anymail_outcome(
    *,
    event_type: str,
    recipient: str,
    reject_reason: str = "",
    mta_response: str = "",
    message_id: str = "",
    source: str = "anymail",
) -> Outcome | None:
    if event_type == "rejected":
        kind = _ANYMAIL_REJECTED.get(reject_reason)
    else:
        kind = _ANYMAIL.get(event_type)
    if kind is None or "@" not in recipient:
        return None
    status = enhanced_status(mta_response)
    if kind == Kind.BOUNCE and status and not is_permanent(0, status):
        kind = Kind.SOFT_BOUNCE  # a "bounce" the remote server called temporary
    return Outcome(
        email=recipient,
        kind=kind,
        status=status,
        diagnostic=mta_response,
        message_id=message_id,
        source=source,
    )


def anymail_tracking(sender: object, event: Any, esp_name: str = "", **kwargs: Any) -> None:
    """Receiver for ``anymail.signals.tracking`` (connected in apps.py when installed)."""
    outcome = anymail_outcome(
        event_type=str(getattr(event, "event_type", "") or ""),
        recipient=str(getattr(event, "recipient", "") or ""),
        reject_reason=str(getattr(event, "reject_reason", "") or ""),
        mta_response=str(
            getattr(event, "mta_response", "") or getattr(event, "description", "") or ""
        ),
        message_id=str(getattr(event, "message_id", "") or ""),
        source=f"anymail:{esp_name}" if esp_name else "anymail",
    )
    if outcome is not None:
        record(outcome)
