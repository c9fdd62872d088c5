"""Reader accounts: sign-up with email confirmation, settings, data export and deletion.

An account is Django's User (username = lower-cased email address) with the Reader the
digests go to linked by ``Reader.user``. Sign-up creates an inactive User and emails a
signed, expiring link; the account becomes active, and its Reader confirmed, only when
that link is POSTed with the password (accounts.account_forms.ActivateForm says why). A
Reader that already exists for the address, from the visitor follow flow, is linked
then, so its follows carry over. Login, logout and the password pages are Django's views
(see accounts/urls.py) with templates in accounts/account/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.cache import cache
from django.core.mail import get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from newsdesk.accounts import tokens
from newsdesk.accounts.account_forms import (
    AccountPasswordResetForm,
    ActivateForm,
    DeleteAccountForm,
    FollowChoicesForm,
    LoginForm,
    ReaderSettingsForm,
    SignupForm,
)
from newsdesk.accounts.models import Consent, Reader
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.render import build_email
from newsdesk.digests.suppress import suppressed_reason
from newsdesk.topics.models import Follow, TopicArticle
from newsdesk.web.views import article_list, paginate

log = logging.getLogger(__name__)
User = get_user_model()

ACTIVATE_SALT = "newsdesk.accounts.activate"
ACTIVATE_MAX_AGE = tokens.CONFIRM_MAX_AGE
# One sign-up email per address in this time, whoever asks: the form cannot be used to
# flood someone's inbox.
RESEND_AFTER = dt.timedelta(minutes=10)


# --- Activation tokens ----------------------------------------------------------------------


def _fingerprint(user: AbstractBaseUser) -> str:
    """Changes when the password changes or the account is activated: a link works once,
    and only for the latest sign-up of a pending account."""
    value = f"{user.pk}|{user.password}|{user.is_active}"
    return salted_hmac(ACTIVATE_SALT, value).hexdigest()[:32]


def activation_token(user: AbstractBaseUser, time_zone: str) -> str:
    payload = {"u": user.pk, "f": _fingerprint(user), "z": time_zone}
    return signing.dumps(payload, salt=ACTIVATE_SALT, compress=True)


def read_activation_token(token: str) -> tuple[Any, str]:
    """(the pending user, the time zone chosen at sign-up); BadToken if unusable."""
    try:
        value = signing.loads(token, salt=ACTIVATE_SALT, max_age=ACTIVATE_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired too
        raise tokens.BadToken(str(exc)) from None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        raise tokens.BadToken("bad activation payload")
    user = User._default_manager.filter(pk=value["u"], is_active=False).first()
    if user is None or not hmac.compare_digest(str(value.get("f")), _fingerprint(user)):
        raise tokens.BadToken("used, replaced or unknown")
    return user, str(value.get("z") or "UTC")


# --- Sign-up and activation -----------------------------------------------------------------


def is_pending_signup(user: Any) -> bool:
    """An account created by sign-up and never confirmed (confirming logs in, so it sets
    last_login); a deactivated account is not pending and is never reactivated here."""
    return not user.is_active and user.last_login is None and not user.is_staff


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:settings")
    form = SignupForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            register(form.cleaned_data)
        except OSError as exc:  # smtplib and socket errors
            log.warning("sign-up email failed: %s", exc)
            error = "We could not send the confirmation email just now. Please try again."
        else:
            return redirect("accounts:signup-sent")
    status = 400 if error or form.errors else 200
    context = {"form": form, "error": error}
    return render(request, "accounts/account/signup.html", context, status=status)


def register(data: dict[str, Any]) -> None:
    """Create (or refresh) a pending account and email its link, or tell an existing
    account's owner that someone tried. The page shown is the same either way, so the
    form does not reveal which addresses have accounts."""
    email = str(data["email"])
    throttle_key = "newsdesk.signup." + hashlib.sha256(email.encode()).hexdigest()
    if not cache.add(throttle_key, True, int(RESEND_AFTER.total_seconds())):
        return
    try:
        _register(email, data)
    except OSError:
        cache.delete(throttle_key)  # nothing went out: let them try again at once
        raise


def _register(email: str, data: dict[str, Any]) -> None:
    existing = User._default_manager.filter(Q(username__iexact=email) | Q(email__iexact=email))
    user = existing.first()
    if user is not None and not is_pending_signup(user):
        if user.is_active:
            send_account_email("accounts/email/signup-exists", email, account_links())
        return
    if user is None:
        user = User(username=email, email=email, is_active=False)
    user.set_password(str(data["password1"]))
    user.save()
    token = activation_token(user, str(data["time_zone"]))
    context = {
        "confirm_url": settings.SITE_URL + reverse("accounts:activate", args=[token]),
        "days": ACTIVATE_MAX_AGE.days,
    }
    send_account_email("accounts/email/signup", email, context)


def account_links() -> dict[str, str]:
    return {
        "login_url": settings.SITE_URL + reverse("accounts:login"),
        "reset_url": settings.SITE_URL + reverse("accounts:password-reset"),
    }


def send_account_email(name: str, to: str, context: dict[str, Any]) -> None:
    """Transactional mail (from DEFAULT_FROM_EMAIL) through the one email builder.

    Never to a suppressed address: SignupForm refuses one with a message, and this
    catches one suppressed since (nothing is sent, the page is the usual one)."""
    reason = suppressed_reason(to)
    if reason is not None:
        log.info("no %s email to suppressed address %s (%s)", name, to, reason)
        return
    full = {"email": to, "site_url": settings.SITE_URL, **context}
    message = build_email(name, full, to=to, from_email=settings.DEFAULT_FROM_EMAIL)
    get_connection(timeout=settings.EMAIL_TIMEOUT).send_messages([message])


def signup_sent(request: HttpRequest) -> HttpResponse:
    context = {"minutes": int(RESEND_AFTER.total_seconds() // 60)}
    return render(request, "accounts/account/signup_sent.html", context)


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the form (mail scanners open links); POST with the password activates."""
    invalid = {"days": ACTIVATE_MAX_AGE.days}
    try:
        user, time_zone = read_activation_token(token)
    except tokens.BadToken:
        return render(request, "accounts/account/activate_invalid.html", invalid, status=400)
    form = ActivateForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        reader = activate_account(user, time_zone)
        if reader is None:
            return render(request, "accounts/account/activate_invalid.html", invalid, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        follows = reader.follows.count()
        note = f" You follow {follows} topic{'s' if follows != 1 else ''}." if follows else ""
        messages.success(request, f"Your account is ready.{note}")
        return redirect("accounts:settings")
    status = 400 if form.errors else 200
    page = {"form": form, "email": user.email}
    return render(request, "accounts/account/activate.html", page, status=status)


def activate_account(user: Any, time_zone: str) -> Reader | None:
    """Activate the user and link (or create) the Reader for their address.

    None when that Reader belongs to another account already (only an operator's edit
    can cause that); nothing is changed then.
    """
    now = timezone.now()
    with transaction.atomic():
        reader = Reader.objects.select_for_update().filter(email__iexact=user.email).first()
        if reader is not None and reader.user_id not in (None, user.pk):
            log.warning("reader %s already belongs to user %s", reader.pk, reader.user_id)
            return None
        user.is_active = True
        user.save(update_fields=["is_active"])
        if reader is None:
            return Reader.objects.create(
                user=user, email=user.email, time_zone=time_zone, confirmed_at=now
            )
        # A visitor's Reader: its follows, consents and deliveries carry over.
        reader.user = user
        reader.confirmed_at = reader.confirmed_at or now  # the inbox was just proven
        reader.save(update_fields=["user", "confirmed_at"])
        return reader


# --- Settings ------------------------------------------------------------------------------


def reader_of(user: Any) -> Reader | None:
    return Reader.objects.filter(user=user).first()


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    reader = reader_of(request.user)
    if reader is None:
        return render_settings(request, None)
    form = ReaderSettingsForm(request.POST or None, reader=reader)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("accounts:settings")
        return render_settings(request, reader, settings_form=form, status=400)
    return render_settings(request, reader, settings_form=form)


def render_settings(
    request: HttpRequest,
    reader: Reader | None,
    settings_form: ReaderSettingsForm | None = None,
    invalid_follow: FollowChoicesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    follow_forms: list[FollowChoicesForm] = []
    if reader is not None:
        settings_form = settings_form or ReaderSettingsForm(reader=reader)
        for item in reader.follows.select_related("topic").order_by("topic__name"):
            if invalid_follow is not None and invalid_follow.instance.pk == item.pk:
                follow_forms.append(invalid_follow)
            else:
                follow_forms.append(FollowChoicesForm(instance=item))
    context = {"reader": reader, "form": settings_form, "follow_forms": follow_forms}
    return render(request, "accounts/account/settings.html", context, status=status)


@login_required
@require_POST
def follow_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Change how one followed topic is delivered, or unfollow it."""
    reader = get_object_or_404(Reader, user=request.user)
    item = get_object_or_404(Follow.objects.select_related("topic"), pk=pk, reader=reader)
    if request.POST.get("action") == "unfollow":
        item.delete()
        messages.success(request, f"You no longer follow {item.topic.name}.")
        return redirect("accounts:settings")
    form = FollowChoicesForm(request.POST, instance=item)
    if not form.is_valid():
        return render_settings(request, reader, invalid_follow=form, status=400)
    form.save()
    messages.success(request, f"Saved how you hear about {item.topic.name}.")
    return redirect("accounts:settings")


# --- Data export and deletion ---------------------------------------------------------------

READER_FIELDS = [
    "email",
    "name",
    "time_zone",
    "digest_time",
    "weekly_day",
    "paused",
    "confirmed_at",
    "unsubscribed_at",
    "created",
]
DELIVERY_FIELDS = [
    "kind",
    "local_date",
    "due_at",
    "status",
    "sent_at",
    "article_count",
    "message_id",
]


def export_data(user: Any) -> dict[str, Any]:
    """Everything Newsdesk holds about one account, as plain JSON-ready values."""
    data: dict[str, Any] = {
        "exported_at": timezone.now(),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "reader": None,
        "follows": [],
        "consents": [],
        "deliveries": [],
    }
    reader = reader_of(user)
    if reader is None:
        return data
    data["reader"] = {
        name: getattr(reader, name) for name in READER_FIELDS if hasattr(reader, name)
    }
    data["follows"] = list(
        reader.follows.order_by("created", "id").values(
            "topic__slug", "topic__name", "daily", "weekly", "instant", "created"
        )
    )
    data["consents"] = list(
        reader.consents.order_by("created", "id").values(
            "topic__slug",
            "daily",
            "weekly",
            "instant",
            "page_url",
            "text_shown",
            "created",
            "confirmed_at",
        )
    )
    deliveries = DigestDelivery.objects.filter(reader=reader).order_by("local_date", "id")
    data["deliveries"] = list(deliveries.values(*DELIVERY_FIELDS))
    return data


@login_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    body = json.dumps(export_data(request.user), cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"newsdesk-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def deletion_counts(reader: Reader | None) -> dict[str, int]:
    if reader is None:
        return {"follows": 0, "consents": 0, "deliveries": 0}
    return {
        "follows": Follow.objects.filter(reader=reader).count(),
        "consents": Consent.objects.filter(reader=reader).count(),
        "deliveries": DigestDelivery.objects.filter(reader=reader).count(),
    }


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    user: Any = request.user  # login_required: a real User
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Follows, consents and deliveries go with the Reader (on_delete=CASCADE).
            Reader.objects.filter(user=user).delete()
            user.delete()
        logout(request)
        return redirect("accounts:deleted")
    reader = reader_of(user)
    context = {"form": form, "reader": reader, "counts": deletion_counts(reader)}
    return render(
        request, "accounts/account/delete.html", context, status=400 if form.errors else 200
    )


def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account/deleted.html")


# --- For you -------------------------------------------------------------------------------


@never_cache
@login_required
def for_you(request: HttpRequest) -> HttpResponse:
    """The latest articles of the topics the reader follows, newest first.

    A fixed number of queries: the follows, then one page of articles (a subquery on
    TopicArticle, so an article in two followed topics is listed once) and its count.
    A wire copy is left out when the article it copies is listed too.
    """
    reader = reader_of(request.user)
    follows = list(reader.follows.select_related("topic").order_by("topic__name")) if reader else []
    topic_ids = [item.topic_id for item in follows]
    matched = TopicArticle.objects.filter(topic_id__in=topic_ids).values("article_id")
    articles = article_list().filter(pk__in=matched).exclude(duplicate_of__in=matched)
    context = {"reader": reader, "follows": follows, "page": paginate(request, articles)}
    return render(request, "accounts/account/for_you.html", context)


# --- Django's auth views, with the site's templates and this app's URL names ----------------

_TEMPLATES = "accounts/account/"

login_view = auth_views.LoginView.as_view(
    template_name=_TEMPLATES + "login.html",
    authentication_form=LoginForm,
    redirect_authenticated_user=True,
)
logout_view = auth_views.LogoutView.as_view()  # POST only (Django 5)
password_reset = auth_views.PasswordResetView.as_view(
    template_name=_TEMPLATES + "password_reset_form.html",
    form_class=AccountPasswordResetForm,
    success_url=reverse_lazy("accounts:password-reset-done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name=_TEMPLATES + "password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name=_TEMPLATES + "password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name=_TEMPLATES + "password_reset_complete.html"
)
password_change = auth_views.PasswordChangeView.as_view(
    template_name=_TEMPLATES + "password_change_form.html",
    success_url=reverse_lazy("accounts:password-change-done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name=_TEMPLATES + "password_change_done.html"
)
