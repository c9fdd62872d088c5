"""Making and checking API tokens.

A token is 32 random bytes (urlsafe base64) behind an ``nd_`` prefix, so a leaked one is
easy to recognise in logs and secret scanners. Only its SHA-256 is stored: a fast hash is
enough because the token itself has 256 bits of entropy, unlike a password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.api.models import ApiToken

PREFIX = "nd_"
# Longer input is not one of our tokens; refuse it before hashing.
MAX_TOKEN_LENGTH = 100
# last_used is written at most this often per token, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(reader: Reader, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``reader``: the row, and the token text to show once."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(reader=reader, key_hash=hash_token(token), name=name)
    return row, token


def authenticate(token: str) -> ApiToken | None:
    """The token's row with its reader, or None; marks it used."""
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = ApiToken.objects.select_related("reader").filter(key_hash=hash_token(token)).first()
    if row is not None:
        touch(row)
    return row


def touch(row: ApiToken) -> None:
    now = timezone.now()
    if row.last_used is not None and now - row.last_used < TOUCH_EVERY:
        return
    # Conditional on the value we read, so concurrent requests write it once.
    ApiToken.objects.filter(pk=row.pk, last_used=row.last_used).update(last_used=now)
    row.last_used = now
