"""The reader's own data. Every query here starts from the token's reader, so no
endpoint can name another reader's rows."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, field_validator, model_validator

from newsdesk.accounts.models import Consent, Reader
from newsdesk.api.auth import TokenAuth, token_of
from newsdesk.api.pagination import OffsetPage, OffsetParams, offset_page
from newsdesk.api.schemas import TopicRef, errors, printable
from newsdesk.topics.models import Follow, Topic

router = Router(tags=["me"], auth=TokenAuth())


# Names zoneinfo lists that are not a place: "localtime" is the server's own zone.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class MeOut(Schema):
    email: str
    name: str
    time_zone: str
    digest_time: str = Field(..., pattern=HH_MM, description="local time, HH:MM")
    receives_email: bool

    @staticmethod
    def resolve_digest_time(obj: Reader) -> str:
        return obj.digest_time.strftime("%H:%M")


class MeIn(Schema):
    """Only the fields given are changed."""

    model_config = ConfigDict(extra="forbid")

    time_zone: str | None = Field(None, max_length=64, examples=["Europe/Berlin"])
    digest_time: str | None = Field(None, pattern=HH_MM, examples=["07:00"])

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str | None) -> str:
        if value is None or value not in time_zones():
            raise ValueError("not an IANA time zone name (such as Europe/Berlin)")
        return value

    @field_validator("digest_time")
    @classmethod
    def not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("give a local time as HH:MM")
        return value


class FollowOut(Schema):
    topic: TopicRef
    daily: bool
    weekly: bool
    instant: bool
    created: dt.datetime


class FollowIn(Schema):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(..., max_length=200, description="topic slug")
    daily: bool = True
    weekly: bool = False
    instant: bool = False

    @field_validator("topic")
    @classmethod
    def slug_text(cls, value: str) -> str:
        return printable(value) or ""

    @model_validator(mode="after")
    def some_delivery(self) -> FollowIn:
        # As on the site's forms: a follow that sends nothing is no follow (and would still
        # be recorded as consent). DELETE /me/follows/{slug} stops a topic.
        if not (self.daily or self.weekly or self.instant):
            raise ValueError("choose at least one of daily, weekly or instant, or unfollow")
        return self


def private(response: HttpResponse) -> None:
    # A reader's data must not be kept by a shared cache or served for another token.
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization"


def reader_of(request: HttpRequest) -> Reader:
    return token_of(request).reader


@router.get("/me", response={200: MeOut, **errors(401)}, summary="Your account")
def get_me(request: HttpRequest, response: HttpResponse) -> Reader:
    private(response)
    return reader_of(request)


@router.patch(
    "/me", response={200: MeOut, **errors(400, 401, 422)}, summary="Change time zone or digest time"
)
def patch_me(request: HttpRequest, response: HttpResponse, payload: MeIn) -> Reader:
    private(response)
    reader = reader_of(request)
    changed: dict[str, object] = payload.model_dump(exclude_unset=True)
    if "digest_time" in changed:
        changed["digest_time"] = dt.time.fromisoformat(str(changed["digest_time"]))
    for name, value in changed.items():
        setattr(reader, name, value)
    if changed:
        reader.save(update_fields=list(changed))
    return reader


@router.get(
    "/me/follows",
    response={200: OffsetPage[FollowOut], **errors(401, 422)},
    summary="Topics you follow",
)
def list_follows(
    request: HttpRequest, response: HttpResponse, page: Query[OffsetParams]
) -> dict[str, object]:
    private(response)
    follows = Follow.objects.filter(reader=reader_of(request)).select_related("topic")
    items = follows.order_by("created", "id")[page.offset : page.offset + page.limit]
    return offset_page(request, list(items), follows.count(), page)


@router.post(
    "/me/follows",
    response={200: FollowOut, 201: FollowOut, **errors(400, 401, 404, 422)},
    summary="Follow a topic (or change how)",
)
def follow(request: HttpRequest, response: HttpResponse, payload: FollowIn) -> Status[Follow]:
    """201 when the topic is newly followed, 200 when an existing follow was changed."""
    private(response)
    token = token_of(request)
    topic = get_object_or_404(Topic, slug=payload.topic)
    choices = {"daily": payload.daily, "weekly": payload.weekly, "instant": payload.instant}
    with transaction.atomic():
        item, created = Follow.objects.update_or_create(
            reader=token.reader, topic=topic, defaults=choices
        )
        # The consent ledger (accounts.Consent) records every follow and how it was given;
        # a bearer token is the reader's own credential, so it is confirmed at once.
        Consent.objects.create(
            reader=token.reader,
            topic=topic,
            text_shown=f"Followed through the API with token {token.name or token.pk!s}.",
            confirmed_at=timezone.now(),
            **choices,
        )
    return Status(201 if created else 200, item)


@router.delete(
    "/me/follows/{slug}", response={204: None, **errors(401, 404)}, summary="Unfollow a topic"
)
def unfollow(request: HttpRequest, response: HttpResponse, slug: str) -> Status[None]:
    private(response)
    follow = get_object_or_404(Follow, reader=reader_of(request), topic__slug=slug)
    follow.delete()
    return Status(204, None)
