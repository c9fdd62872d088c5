"""robots.txt for article pages (RFC 9309), fetched through the guarded client.

Feeds and sitemaps are published to be polled, so only article pages are checked here
(articles/ingest.py asks before fetching a page). Each site's file is cached in the
RobotsFile table for 24 hours, shared by every worker:

* 2xx: the rules apply (parsed with protego);
* 4xx: "unavailable", no rules, everything is allowed (RFC 9309 2.3.1.3);
* 5xx or no answer: "unreachable", everything is disallowed for now (2.3.1.4), and the
  file is asked for again after RETRY_UNREACHABLE rather than a day.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import IntegrityError
from django.utils import timezone
from protego import Protego

from newsdesk.lib.http import FetchError, FetchPolicy, FetchRefused, HttpClient, fetch
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import RobotsFile

CACHE_TTL = dt.timedelta(hours=24)
RETRY_UNREACHABLE = dt.timedelta(hours=1)
# RFC 9309 2.5: crawlers must read at least 500 KiB; rules past that are ignored.
MAX_ROBOTS_CHARS = 512 * 1024
# The product token publishers name in their robots.txt ("User-agent: Newsdesk").
ROBOTS_AGENT = "Newsdesk"

DISALLOWED = "robots.txt disallows this page"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""
    # When the answer may change: the next time robots.txt will be asked for.
    until: dt.datetime | None = None


def origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}:{port}"


def is_allowed(
    url: str,
    user_agent: str = ROBOTS_AGENT,
    *,
    policy: FetchPolicy | None = None,
    client: HttpClient | None = None,
    now: dt.datetime | None = None,
) -> bool:
    return check(url, user_agent, policy=policy, client=client, now=now).allowed


def check(
    url: str,
    user_agent: str = ROBOTS_AGENT,
    *,
    policy: FetchPolicy | None = None,
    client: HttpClient | None = None,
    now: dt.datetime | None = None,
) -> Verdict:
    """May ``url`` be fetched? Fetches and caches the site's robots.txt when needed."""
    now = now or timezone.now()
    origin = origin_of(url)
    if origin is None:
        # Not a web URL: the guarded client will refuse it with its own reason.
        return Verdict(True)
    robots = _cached(origin, now) or _refresh(origin, now, policy, client)
    if robots is None:
        return Verdict(True)  # refused by policy: the page fetch reports why
    until = robots.fetched_at + _ttl(robots.status)
    if robots.status >= 500 or robots.status == 0:
        why = robots.error or f"HTTP {robots.status}"
        return Verdict(False, f"robots.txt of {origin} could not be read ({why})", until)
    if robots.status >= 400 or not robots.body.strip():
        return Verdict(True, until=until)
    if _rules(robots).can_fetch(url, user_agent):
        return Verdict(True, until=until)
    return Verdict(False, DISALLOWED, until)


def _ttl(status: int) -> dt.timedelta:
    return RETRY_UNREACHABLE if status == 0 or status >= 500 else CACHE_TTL


def _cached(origin: str, now: dt.datetime) -> RobotsFile | None:
    robots = RobotsFile.objects.filter(origin=origin).first()
    if robots is not None and robots.fetched_at + _ttl(robots.status) > now:
        return robots
    return None


def _refresh(
    origin: str, now: dt.datetime, policy: FetchPolicy | None, client: HttpClient | None
) -> RobotsFile | None:
    url = _origin_url(origin) + "/robots.txt"
    status, body, error = 0, "", ""
    try:
        if client is not None:
            response = client.fetch(url)
        else:
            response = fetch(url, policy=policy or policy_from_settings())
        status = response.status
        if 200 <= status < 300:
            body = _decode(response.body, response.charset)[:MAX_ROBOTS_CHARS]
    except FetchRefused:
        return None
    except FetchError as exc:
        error = exc.reason
    return _store(origin, status, body, error, now)


def _decode(body: bytes, charset: str | None) -> str:
    """The file as text. RFC 9309 says UTF-8; a charset the server names is honoured
    only when Python knows it (an unknown one must not fail the page waiting on it),
    and NUL characters, which no rule needs, are dropped (PostgreSQL refuses them)."""
    try:
        text = body.decode(charset or "utf-8", "replace")
    except LookupError:
        text = body.decode("utf-8", "replace")
    return text.replace("\x00", "")


def _store(origin: str, status: int, body: str, error: str, now: dt.datetime) -> RobotsFile:
    fields = {"status": status, "body": body, "error": error[:500], "fetched_at": now}
    try:
        robots, _ = RobotsFile.objects.update_or_create(origin=origin, defaults=fields)
    except IntegrityError:
        # Another worker stored the same site's file at the same moment: write over it.
        RobotsFile.objects.filter(origin=origin).update(**fields)
        robots = RobotsFile.objects.get(origin=origin)
    return robots


def _origin_url(origin: str) -> str:
    for default in (("http://", ":80"), ("https://", ":443")):
        if origin.startswith(default[0]) and origin.endswith(default[1]):
            return origin[: -len(default[1])]
    return origin


# Parsed rules by (origin, fetched_at): one parse per file version per process, not
# one per article page.
_parsed: OrderedDict[tuple[str, dt.datetime], Protego] = OrderedDict()
_parsed_lock = threading.Lock()
_PARSED_MAX = 512


def _rules(robots: RobotsFile) -> Protego:
    key = (robots.origin, robots.fetched_at)
    with _parsed_lock:
        rules = _parsed.get(key)
        if rules is not None:
            _parsed.move_to_end(key)
            return rules
    rules = Protego.parse(robots.body)
    with _parsed_lock:
        _parsed[key] = rules
        while len(_parsed) > _PARSED_MAX:
            _parsed.popitem(last=False)
    return rules
