"""Signed tokens for links in emails, one salt per purpose.

A token signed for one purpose can never be replayed for another. Unsubscribe tokens do
not expire (an old digest's unsubscribe link must still work, RFC 8058 and common sense);
confirmation tokens do. Manage tokens (the "manage subscription" page linked from every
email footer) do not expire either, for the same reason: they carry no more power than
the unsubscribe link next to them plus choosing the hour, zone and topics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing

CONFIRM_SALT = "newsdesk.accounts.confirm"
UNSUBSCRIBE_SALT = "newsdesk.digests.unsubscribe"
VIEW_SALT = "newsdesk.digests.view"
MANAGE_SALT = "newsdesk.digests.manage"
CONFIRM_MAX_AGE = dt.timedelta(days=7)
VIEW_MAX_AGE = dt.timedelta(days=90)


class BadToken(Exception):
    """The token is forged, damaged, for another purpose or expired."""


@dataclass(frozen=True)
class Unsubscribe:
    reader_id: int
    topic_id: int | None  # None: everything


def _load(token: str, salt: str, max_age: dt.timedelta | None = None) -> dict[str, int | None]:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature as exc:  # SignatureExpired is a subclass
        raise BadToken(str(exc)) from None
    if not isinstance(value, dict):
        raise BadToken("unexpected payload")
    return value


def confirm_token(consent_id: int) -> str:
    return signing.dumps({"c": consent_id}, salt=CONFIRM_SALT, compress=True)


def read_confirm_token(token: str) -> int:
    consent_id = _load(token, CONFIRM_SALT, CONFIRM_MAX_AGE).get("c")
    if not isinstance(consent_id, int):
        raise BadToken("no consent id")
    return consent_id


def unsubscribe_token(reader_id: int, topic_id: int | None = None) -> str:
    return signing.dumps({"r": reader_id, "t": topic_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> Unsubscribe:
    value = _load(token, UNSUBSCRIBE_SALT)
    reader_id, topic_id = value.get("r"), value.get("t")
    if not isinstance(reader_id, int) or not (topic_id is None or isinstance(topic_id, int)):
        raise BadToken("bad unsubscribe payload")
    return Unsubscribe(reader_id, topic_id)


def view_token(delivery_id: int) -> str:
    return signing.dumps({"d": delivery_id}, salt=VIEW_SALT, compress=True)


def read_view_token(token: str) -> int:
    delivery_id = _load(token, VIEW_SALT, VIEW_MAX_AGE).get("d")
    if not isinstance(delivery_id, int):
        raise BadToken("no delivery id")
    return delivery_id


def manage_token(reader_id: int) -> str:
    return signing.dumps({"m": reader_id}, salt=MANAGE_SALT, compress=True)


def read_manage_token(token: str) -> int:
    reader_id = _load(token, MANAGE_SALT).get("m")
    if not isinstance(reader_id, int):
        raise BadToken("no reader id")
    return reader_id
