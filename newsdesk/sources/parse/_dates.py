"""Best-effort date parsing for feeds and sitemaps.

feedparser already understands RFC 822, W3C-DTF and a long tail of odd
formats; this is the fallback for what it leaves unparsed, and the parser
for sitemap `<lastmod>` (W3C Datetime, https://www.w3.org/TR/NOTE-datetime).
Every result is an aware datetime in UTC.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["clamp_future", "from_struct_time", "parse_date"]

# Anything more than a day ahead is a publisher bug (wrong timezone, wrong
# year), and would pin the item to the top of every digest.
FUTURE_TOLERANCE = timedelta(days=1)

_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_TRAILING_COMMENT = re.compile(r"\s*\([^)]*\)\s*$")
_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y%m%dT%H%M%S",
    "%d %B %Y %H:%M",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y %H:%M",
    "%B %d, %Y",
    "%b %d, %Y",
    "%A, %B %d, %Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)


def _aware(value: datetime) -> datetime:
    # A timestamp without an offset is taken as UTC: it is the only
    # assumption that does not depend on the server we happen to run on.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_struct_time(value: object) -> datetime | None:
    """feedparser's *_parsed fields are UTC struct_time tuples."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _try_rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(_TRAILING_COMMENT.sub("", text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _try_iso(text: str) -> datetime | None:
    candidate = text.replace(" UTC", "Z").replace(" GMT", "Z")
    if candidate.endswith(("z", "Z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    match = _YEAR_MONTH.match(text)
    if match:  # W3C Datetime allows "YYYY" and "YYYY-MM"
        try:
            return datetime(int(match.group(1)), int(match.group(2) or 1), 1)
        except ValueError:
            return None
    return None


def _try_formats(text: str) -> datetime | None:
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_date(value: str | None) -> datetime | None:
    """Parse a date string in any format we know; None when we can't."""
    if not value:
        return None
    text = " ".join(value.split())[:100]
    if not text:
        return None
    for attempt in (_try_iso, _try_rfc822, _try_formats):
        parsed = attempt(text)
        if parsed is not None:
            try:
                return _aware(parsed)
            except (ValueError, OverflowError):
                return None
    return None


def clamp_future(value: datetime | None, now: datetime) -> datetime | None:
    """None for dates more than FUTURE_TOLERANCE after `now`."""
    if value is not None and value > now + FUTURE_TOLERANCE:
        return None
    return value
