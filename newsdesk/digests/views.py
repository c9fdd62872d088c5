"""Links in digests: view in the browser, manage the subscription, unsubscribe (RFC 8058).

The unsubscribe URL is the one in the List-Unsubscribe header. Mail providers POST
``List-Unsubscribe=One-Click`` to it with no cookies, so the POST needs no login and no
CSRF token (the signed token is the proof). A GET only shows a confirmation button,
because link scanners open every link in an email.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from newsdesk.accounts import tokens
from newsdesk.accounts.models import Reader
from newsdesk.accounts.views import base_template
from newsdesk.digests import suppress
from newsdesk.digests.compose import compose_for_reader
from newsdesk.digests.forms import ManageForm
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.render import digest_parts
from newsdesk.topics.models import Follow, Topic
from newsdesk.web.middleware import content_security_policy


@csrf_exempt  # RFC 8058: the one-click POST carries no cookies and no CSRF token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = tokens.read_unsubscribe_token(token)
    except tokens.BadToken:
        return render(
            request, "digests/unsubscribe_invalid.html", {"base": base_template()}, status=400
        )
    reader = Reader.objects.filter(pk=target.reader_id).first()
    topic = Topic.objects.filter(pk=target.topic_id).first() if target.topic_id else None
    context = {"base": base_template(), "reader": reader, "topic": topic}
    if reader is None:
        return render(request, "digests/unsubscribed.html", context)
    if request.method == "POST":
        everything = target.topic_id is None or request.POST.get("scope") == "all"
        unsubscribe_reader(reader, None if everything else target.topic_id)
        context["topic"] = None if everything else topic
        return render(request, "digests/unsubscribed.html", context)
    context["all_token"] = tokens.unsubscribe_token(reader.pk)
    return render(request, "digests/unsubscribe.html", context)


def unsubscribe_reader(reader: Reader, topic_id: int | None) -> None:
    """Stop one topic's emails, or every email when topic_id is None."""
    if topic_id is not None:
        Follow.objects.filter(reader=reader, topic_id=topic_id).delete()
        return
    if reader.unsubscribed_at is None:
        reader.unsubscribed_at = timezone.now()
        reader.save(update_fields=["unsubscribed_at"])


def view(request: HttpRequest, token: str) -> HttpResponse:
    """A sent digest, as HTML, for readers whose mail client shows it badly."""
    try:
        delivery_id = tokens.read_view_token(token)
    except tokens.BadToken:
        raise Http404("This link has expired or is not valid.") from None
    delivery = get_object_or_404(DigestDelivery.objects.select_related("reader"), pk=delivery_id)
    return digest_page(delivery.reader, delivery.window_start, delivery.window_end, delivery.kind)


def digest_page(reader: Reader, start: object, end: object, kind: str = "daily") -> HttpResponse:
    digest = compose_for_reader(reader.pk, start, end, kind=kind)  # type: ignore[arg-type]
    if digest is None:
        return HttpResponse("<p>Nothing new in this digest.</p>")
    html = digest_parts(digest, reader.pk, reader.name).html
    response = HttpResponse(html)
    # The page is the email as sent, CSS inlined into style attributes: those may apply
    # here (scripts stay forbidden); the site-wide policy forbids them everywhere else.
    response.headers["Content-Security-Policy"] = content_security_policy(
        style_src="'self' 'unsafe-inline'"
    )
    return response


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The reader's delivery settings, from a signed link in every email (no login).

    Pause, time zone, digest hour, weekly day, and per topic: daily / weekly / instant
    (untick all three to stop the topic). Unsubscribing from everything is the
    one-click unsubscribe form, linked here.
    """
    context: dict[str, object] = {"base": base_template()}
    try:
        reader = get_object_or_404(Reader, pk=tokens.read_manage_token(token))
    except tokens.BadToken:
        return render(request, "digests/unsubscribe_invalid.html", context, status=400)
    follows = list(reader.follows.select_related("topic").order_by("created", "id"))
    form = ManageForm(request.POST or None, reader=reader, follows=follows)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect(f"{request.path}?saved=1")
    context |= {
        "reader": reader,
        "form": form,
        "saved": request.GET.get("saved") == "1",
        "suppressed": _why_suppressed(reader.email),
        "all_token": tokens.unsubscribe_token(reader.pk),
    }
    return render(request, "digests/manage.html", context, status=400 if form.errors else 200)


def _why_suppressed(email: str) -> str | None:
    """Why mail to the reader stopped, in plain words; the page is the owner's (signed)."""
    reason = suppress.suppressed_reason(email)
    return suppress.in_plain_words(reason) if reason else None
