"""Forms for reader accounts: sign-up, login, password reset, settings, follows, deletion.

An account is Django's User (username = the lower-cased email address) plus the Reader
profile the digests are sent to (``Reader.user``). Passwords go through Django's
validators; time zones are checked against the IANA database installed here.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.core.mail import get_connection
from django.urls import reverse

from newsdesk.accounts.forms import refuse_suppressed, refuse_unmailable
from newsdesk.accounts.models import Reader
from newsdesk.digests.render import build_email
from newsdesk.digests.suppress import suppressed_reason
from newsdesk.topics.models import Follow

log = logging.getLogger(__name__)
# Django's User.username holds at most 150 characters, and the address is the username.
EMAIL_MAX_LENGTH = 150


@functools.cache
def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone this machine knows, sorted, for a <select>."""
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


def weekly_day_field() -> forms.Field | None:
    """The Reader's weekly-digest day as its own form field, once the model has one."""
    try:
        field = Reader._meta.get_field("weekly_day")
    except FieldDoesNotExist:
        return None
    return field.formfield()


class SignupForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # static accounts/account.js preselects the browser's zone; without it, pick one.
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=zone_choices,
        initial="UTC",
        help_text="Your morning digest arrives at 07:00 in this zone; you can change both.",
        widget=forms.Select(attrs={"data-browser-zone": "guess"}),
    )

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        refuse_unmailable(email)
        refuse_suppressed(email, "sign-up")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            email = str(data.get("email") or "")
            candidate = get_user_model()(username=email, email=email)
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ActivateForm(forms.Form):
    """Confirming an account asks for its password as well as the emailed link.

    The link proves the inbox, the password proves it is the person who signed up: a
    stranger who signed up with someone else's address cannot have the owner confirm an
    account (and their visitor follows) that the stranger can log in to.
    """

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not the password you signed up with.")
        return password


class LoginForm(AuthenticationForm):
    """Django's login form, by email address, saying so when the email is unconfirmed."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive": (
            "You have not confirmed your email address yet: use the link we sent you. "
            "No email? Sign up again in a few minutes to get a new one."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget.attrs["autocomplete"] = "email"

    def clean_username(self) -> str:
        username = str(self.cleaned_data.get("username") or "").strip()
        # Readers' usernames are their lower-cased addresses; staff names are kept as typed.
        return username.lower() if "@" in username else username

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            self._raise_if_unconfirmed()
            raise

    def _raise_if_unconfirmed(self) -> None:
        # ModelBackend refuses inactive users outright; name the reason, but only to the
        # person who knows the password.
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is not None and not user.is_active and user.check_password(password or ""):
            raise forms.ValidationError(self.error_messages["inactive"], code="inactive")


class AccountPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending through the project's one email builder.

    Nothing goes to a suppressed address, and the page after is the same as always: it
    must not say whether the address has an account or is suppressed.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        reason = suppressed_reason(to_email)
        if reason is not None:
            log.info("no password reset email to suppressed address %s (%s)", to_email, reason)
            return
        path = reverse("accounts:password-reset-confirm", args=[context["uid"], context["token"]])
        email_context = {
            "reset_url": settings.SITE_URL + path,
            "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
            "email": to_email,
            "site_url": settings.SITE_URL,
        }
        message = build_email(
            "accounts/email/password-reset",
            email_context,
            to=to_email,
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
        try:
            get_connection(timeout=settings.EMAIL_TIMEOUT).send_messages([message])
        except OSError as exc:  # the page must not say whether the address has an account
            log.warning("password reset email failed: %s", exc)


class ReaderSettingsForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", choices=zone_choices)
    digest_hour = forms.TypedChoiceField(
        label="Digest time",
        choices=HOUR_CHOICES,
        coerce=int,
        help_text="Your morning digest arrives at this hour, in your time zone.",
    )
    paused = forms.BooleanField(
        label="Pause all emails",
        required=False,
        help_text="Nothing is sent while paused; your topics stay followed.",
    )

    def __init__(self, *args: Any, reader: Reader, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "time_zone": reader.time_zone,
                "digest_hour": reader.digest_time.hour,
                "paused": reader.paused,
                "weekly_day": getattr(reader, "weekly_day", None),
            },
        )
        super().__init__(*args, **kwargs)
        self.reader = reader
        weekly = weekly_day_field()
        if weekly is not None:
            weekly.label = "Weekly digest day"
            self.fields["weekly_day"] = weekly
        if reader.unsubscribed_at is not None:
            self.fields["resubscribe"] = forms.BooleanField(
                label="Send me emails again",
                required=False,
                help_text=(
                    f"You unsubscribed from all emails on {reader.unsubscribed_at:%d %B %Y}."
                ),
            )

    def save(self) -> Reader:
        reader, data = self.reader, self.cleaned_data
        changed = ["time_zone", "paused", "digest_time"]
        reader.time_zone = data["time_zone"]
        reader.paused = data["paused"]
        if data["digest_hour"] != reader.digest_time.hour:  # keep an operator-set 07:30
            reader.digest_time = dt.time(data["digest_hour"], 0)
        if "weekly_day" in self.fields:
            setattr(reader, "weekly_day", data["weekly_day"])  # noqa: B010 (may not exist)
            changed.append("weekly_day")
        if data.get("resubscribe"):
            reader.unsubscribed_at = None
            changed.append("unsubscribed_at")
        reader.save(update_fields=changed)
        return reader


class FollowChoicesForm(forms.ModelForm):
    """How one followed topic reaches the reader; one small form per follow."""

    class Meta:
        model = Follow
        fields = ["daily", "weekly", "instant"]
        labels = {"daily": "Daily digest", "weekly": "Weekly digest", "instant": "Instant alerts"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        instance = kwargs["instance"]
        kwargs.setdefault("prefix", f"follow-{instance.pk}")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("daily") or data.get("weekly") or data.get("instant")):
            raise forms.ValidationError(
                "Choose at least one way to hear about this topic, or unfollow it."
            )
        return data


class DeleteAccountForm(ActivateForm):
    """Deleting everything asks for the password again."""

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not right.")
        return password
