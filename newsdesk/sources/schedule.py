"""When to poll a source next.

Polite polling: a source that posts often is polled often, a quiet one rarely (bounded to
5 minutes .. 24 hours); cache headers and Retry-After are lower bounds; errors back off
exponentially with jitter, so a thousand sources that failed together do not retry
together, and the backoff is capped so no source is silently given up on.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import re
from collections.abc import Mapping, Sequence

MIN_INTERVAL = dt.timedelta(minutes=5)
MAX_INTERVAL = dt.timedelta(hours=24)
DEFAULT_INTERVAL = dt.timedelta(hours=1)
ERROR_BASE = dt.timedelta(minutes=5)


def clamp(interval: dt.timedelta) -> dt.timedelta:
    return max(MIN_INTERVAL, min(MAX_INTERVAL, interval))


def posting_interval(published: Sequence[dt.datetime], now: dt.datetime) -> dt.timedelta:
    """Half the mean gap between the last week's posts: we see a new post about one poll
    after it appears without hammering a quiet site."""
    week = [p for p in published if now - dt.timedelta(days=7) <= p <= now]
    if len(week) < 2:
        return DEFAULT_INTERVAL if week else MAX_INTERVAL / 2
    span = max(week) - min(week)
    return clamp(span / (len(week) - 1) / 2)


def cache_lifetime(headers: Mapping[str, str], now: dt.datetime) -> dt.timedelta | None:
    """How long the server told us its answer stays fresh (Cache-Control max-age, or
    Expires), per RFC 9111. None when it said nothing usable."""
    cache_control = headers.get("cache-control", "")
    match = re.search(r"(?:s-maxage|max-age)\s*=\s*\"?(\d+)", cache_control, re.IGNORECASE)
    if match:
        # Capped before the timedelta: a huge max-age would overflow it, and the
        # interval is capped at MAX_INTERVAL anyway.
        seconds = min(int(match.group(1)), int(MAX_INTERVAL.total_seconds()))
        return dt.timedelta(seconds=seconds)
    expires = headers.get("expires")
    if expires:
        try:
            when = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(dt.timedelta(0), when - now)
    return None


def next_success_fetch(
    now: dt.datetime,
    published: Sequence[dt.datetime],
    headers: Mapping[str, str] | None = None,
    feed_ttl_minutes: int | None = None,
) -> tuple[dt.datetime, dt.timedelta]:
    interval = posting_interval(published, now)
    floors = [cache_lifetime(headers or {}, now)]
    if feed_ttl_minutes:
        floors.append(dt.timedelta(minutes=feed_ttl_minutes))
    for floor in floors:
        if floor is not None and floor > interval:
            interval = floor
    interval = clamp(interval)
    return now + interval, interval


def next_error_fetch(
    now: dt.datetime,
    error_count: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> dt.datetime:
    """Exponential backoff with ±20% jitter, capped at a day; Retry-After wins when later."""
    rng = rng or random.Random()
    exponent = min(max(error_count - 1, 0), 12)
    delay = min(ERROR_BASE * (2**exponent), MAX_INTERVAL)
    delay = delay * rng.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, dt.timedelta(seconds=min(retry_after, MAX_INTERVAL.total_seconds())))
    return now + delay
