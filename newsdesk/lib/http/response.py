"""The Response a fetch returns, and header helpers."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import urllib3

from newsdesk.lib.http.constants import PROJECT_URL, USER_AGENT_PRODUCT


class _Headers(urllib3.HTTPHeaderDict):
    """Case-insensitive header mapping (repeated headers joined with ', ')."""


@dataclass
class Response:
    url: str
    requested_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    address: tuple[str, int]
    redirects: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


MAX_DELTA_SECONDS = 10**12


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait, from either delta-seconds or an HTTP-date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit(), not to int()
        # Hundreds of digits mean "a very long time"; callers cap the wait anyway, and
        # float() of such an int would overflow.
        return float(int(value)) if len(value) <= 12 else float(MAX_DELTA_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


def user_agent(subscribers: int | None = None) -> str:
    """``Newsdesk/0.1 (+https://github.com/newsdesk; 12 subscribers)``."""
    if subscribers is None:
        return f"{USER_AGENT_PRODUCT} (+{PROJECT_URL})"
    noun = "subscriber" if subscribers == 1 else "subscribers"
    return f"{USER_AGENT_PRODUCT} (+{PROJECT_URL}; {int(subscribers)} {noun})"
