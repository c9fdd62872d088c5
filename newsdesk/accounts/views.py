"""The follow flow for visitors: email in, confirmation out, follow on confirm.

Double opt-in: a follow request stores a Consent row and sends one confirmation email;
the Follow is only created when the link is used, so an address typed by someone else
never receives anything but that one message.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import Template
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from newsdesk.accounts import followable, tokens
from newsdesk.accounts.forms import FollowForm
from newsdesk.accounts.models import Consent, Reader
from newsdesk.digests.render import build_email
from newsdesk.digests.suppress import suppressed_reason
from newsdesk.topics.models import Follow, Topic

log = logging.getLogger(__name__)
# A second request for the same topic within this time sends no second email.
RESEND_AFTER = dt.timedelta(minutes=10)


def base_template() -> Template | str:
    """The site's base page once the web app has one; a plain page until then."""
    try:
        return get_template("web/base.html").template  # type: ignore[attr-defined]
    except TemplateDoesNotExist:
        return "accounts/base.html"


def consent_text(topic: Topic) -> str:
    return (
        f"Receive free {topic.name} updates — we'll send you a Daily Digest email rounding "
        f"up the latest {topic.name} news every morning."
    )


def _page_url(request: HttpRequest, submitted: str) -> str:
    if submitted and url_has_allowed_host_and_scheme(
        submitted, allowed_hosts={request.get_host()}, require_https=False
    ):
        return request.build_absolute_uri(submitted)
    return request.build_absolute_uri()


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    # Authors and outlets become topics when someone asks to follow them (followable.py).
    topic = followable.resolve(slug, create=False)
    form = FollowForm(request.POST or None, initial={"page_url": request.get_full_path()})
    error = ""
    if request.method == "POST" and form.is_valid():
        if topic.pk is None:
            topic = followable.save(topic)
        try:
            request_follow(request, topic, form.cleaned_data)
        except OSError as exc:  # smtplib and socket errors
            log.warning("confirmation email to a new follower failed: %s", exc)
            error = "We could not send the confirmation email just now. Please try again."
        else:
            return redirect("accounts:follow-sent", slug=topic.slug)
    context = {
        "base": base_template(),
        "topic": topic,
        "form": form,
        "consent_text": consent_text(topic),
        "error": error,
    }
    return render(request, "accounts/follow.html", context, status=400 if error else 200)


def request_follow(request: HttpRequest, topic: Topic, data: dict[str, object]) -> Consent:
    """Record the consent and email a confirmation link (unless one just went out)."""
    now = timezone.now()
    with transaction.atomic():
        reader, _ = Reader.objects.get_or_create(
            email=str(data["email"]), defaults={"time_zone": str(data["time_zone"])}
        )
        recent = Consent.objects.filter(
            reader=reader, topic=topic, confirmed_at__isnull=True, created__gte=now - RESEND_AFTER
        ).first()
        if recent is not None:
            return recent
        consent = Consent.objects.create(
            reader=reader,
            topic=topic,
            daily=bool(data["daily"]),
            weekly=bool(data["weekly"]),
            instant=bool(data["instant"]),
            page_url=_page_url(request, str(data.get("page_url") or "")),
            text_shown=consent_text(topic),
            created=now,
        )
    send_confirmation(consent)
    return consent


def send_confirmation(consent: Consent) -> None:
    # FollowForm already refuses a suppressed address with a message saying why; this
    # catches one suppressed since the form was checked: no mail at all.
    reason = suppressed_reason(consent.reader.email)
    if reason is not None:
        log.info("no confirmation to suppressed address for consent %s (%s)", consent.pk, reason)
        return
    token = tokens.confirm_token(consent.pk)
    context = {
        "topic_name": consent.topic.name if consent.topic else "Newsdesk",
        "confirm_url": settings.SITE_URL + reverse("accounts:confirm", args=[token]),
        "days": tokens.CONFIRM_MAX_AGE.days,
        "site_url": settings.SITE_URL,
    }
    message = build_email(
        "accounts/email/confirm",
        context,
        to=consent.reader.email,
        from_email=settings.DEFAULT_FROM_EMAIL,
    )
    get_connection(timeout=settings.EMAIL_TIMEOUT).send_messages([message])


def follow_sent(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    return render(request, "accounts/follow_sent.html", {"base": base_template(), "topic": topic})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links); POST confirms."""
    context: dict[str, object] = {"base": base_template()}
    try:
        consent = Consent.objects.select_related("reader", "topic").get(
            pk=tokens.read_confirm_token(token)
        )
    except (tokens.BadToken, Consent.DoesNotExist):
        return render(request, "accounts/confirm_invalid.html", context, status=400)
    context["consent"] = consent
    if request.method == "POST":
        activate(consent)
        # A visitor has no account: this signed link is their settings page.
        context["manage_url"] = reverse(
            "digests:manage", args=[tokens.manage_token(consent.reader_id)]
        )
        return render(request, "accounts/confirmed.html", context)
    return render(request, "accounts/confirm.html", context)


def activate(consent: Consent) -> None:
    now = timezone.now()
    reader = consent.reader
    with transaction.atomic():
        if consent.confirmed_at is None:
            consent.confirmed_at = now
            consent.save(update_fields=["confirmed_at"])
        if reader.confirmed_at is None:
            reader.confirmed_at = now
        # Following again after unsubscribing, through a confirmed link, resubscribes.
        reader.unsubscribed_at = None
        reader.save(update_fields=["confirmed_at", "unsubscribed_at"])
        if consent.topic is not None:
            Follow.objects.update_or_create(
                reader=reader,
                topic=consent.topic,
                defaults={
                    "daily": consent.daily,
                    "weekly": consent.weekly,
                    "instant": consent.instant,
                },
            )
