"""Per-host politeness for every fetch: at most N requests at once to one host, and S
seconds between the starts of two of them.

Feed polls (``scheduler.py``) and article pages (``articles/ingest.py``) ask the same
component, so one host gets one budget whichever job is fetching from it:

* ``acquire(host)`` returns a :class:`Slot` to fetch with, or the seconds to wait before
  asking again (never blocks);
* ``release(slot)`` once the request is over, whatever its outcome.

Two backends, chosen by :func:`politeness_from_settings`:

* :class:`LocalPoliteness` (the embedded mode, or no shared cache): the counts live in
  this process, so they hold within it only;
* :class:`RedisPoliteness` (``NEWSDESK_CACHE_URL`` is a Redis URL): the counts live in
  Redis, shared by every process on every machine. One Lua script per acquire does the
  check and the update atomically, on the Redis server's clock (one clock for all).

Every slot is a lease: it expires ``lease`` seconds after it was taken, released or
not, so a process killed mid-request holds its host only until then. The lease is longer
than anything done while holding a slot (a robots.txt fetch and a page or feed fetch,
each bounded by the HTTP client's total deadline, plus parsing).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings

from newsdesk.lib.http import FetchPolicy

log = logging.getLogger(__name__)

# What acquire() answers while a host has all its slots taken: nobody knows when one
# frees up (possibly in another process), so the caller asks again this much later.
BUSY_POLL = 0.25
# Lease margin over two fetch deadlines (robots.txt, then the page or feed) for parsing.
LEASE_MARGIN = 30.0
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


@dataclass(frozen=True)
class HostRules:
    per_host: int = 2  # requests in flight to one host at once
    spacing: float = 1.0  # seconds between the starts of two requests to one host
    lease: float = 2 * FetchPolicy().deadline + LEASE_MARGIN  # seconds a slot may be held

    def __post_init__(self) -> None:
        if self.per_host < 1 or self.spacing < 0 or self.lease <= 0:
            raise ValueError(f"unusable host rules: {self}")


@dataclass(frozen=True)
class Slot:
    """Permission for one request to ``host``; give it back with ``release``."""

    host: str
    token: str


class Politeness(Protocol):
    rules: HostRules

    def acquire(self, host: str) -> Slot | float:
        """A slot for a request to ``host`` now, or the seconds to wait before asking again."""
        ...

    def release(self, slot: Slot) -> None: ...


def host_of(url: str) -> str:
    """The host the rules apply to: the host name, lower-cased, without the port."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def acquire_within(
    politeness: Politeness,
    host: str,
    seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Slot | float:
    """Wait up to ``seconds`` for a slot; past that, the last wait the backend asked for."""
    deadline = clock() + seconds
    while True:
        got = politeness.acquire(host)
        if isinstance(got, Slot):
            return got
        remaining = deadline - clock()
        if got > remaining:
            return got
        sleep(got)


# ----------------------------------------------------------------------------- in-process


@dataclass
class HostGate:
    """Who may start a request to which host now: counts and spacing, not thread-safe."""

    per_host: int
    spacing: float
    clock: Callable[[], float] = time.monotonic
    _active: dict[str, int] = field(default_factory=dict)
    _next_start: dict[str, float] = field(default_factory=dict)

    def delay(self, host: str) -> float | None:
        """Seconds until ``host`` may get a request; None while it is at its limit."""
        if self._active.get(host, 0) >= self.per_host:
            return None
        return max(0.0, self._next_start.get(host, 0.0) - self.clock())

    def start(self, host: str) -> None:
        self._active[host] = self._active.get(host, 0) + 1
        self._next_start[host] = self.clock() + self.spacing

    def done(self, host: str) -> None:
        left = self._active.get(host, 0) - 1
        if left > 0:
            self._active[host] = left
        else:
            self._active.pop(host, None)


class LocalPoliteness:
    """The rules for the threads of this process (a HostGate behind a lock, with leases)."""

    def __init__(self, rules: HostRules, clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = rules
        self._clock = clock
        self._gate = HostGate(rules.per_host, rules.spacing, clock)
        self._held: dict[str, tuple[str, float]] = {}  # token -> (host, lease end)
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)

    def acquire(self, host: str) -> Slot | float:
        with self._lock:
            self._expire()
            delay = self._gate.delay(host)
            if delay is None:
                return BUSY_POLL
            if delay > 0:
                return delay
            self._gate.start(host)
            slot = Slot(host, str(next(self._tokens)))
            self._held[slot.token] = (host, self._clock() + self.rules.lease)
            return slot

    def release(self, slot: Slot) -> None:
        with self._lock:
            if self._held.pop(slot.token, None) is not None:
                self._gate.done(slot.host)

    def _expire(self) -> None:
        now = self._clock()
        for token, (host, ends) in list(self._held.items()):
            if ends <= now:
                del self._held[token]
                self._gate.done(host)
                log.warning("a request slot for %s was not given back; its lease ended", host)


# ---------------------------------------------------------------------------------- Redis

# KEYS[1]: sorted set of held slots (token -> lease end, ms); KEYS[2]: next start (ms).
# ARGV: per_host, spacing ms, lease ms, token. Returns 0 (taken), -1 (at its limit) or
# the milliseconds until the next start is allowed.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return -1
end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then
  return next_start - now
end
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[1], lease)
local spacing = tonumber(ARGV[2])
if spacing > 0 then
  redis.call('SET', KEYS[2], now + spacing, 'PX', spacing)
end
return 0
"""

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def redis_client(url: str) -> Any:
    """One client (one connection pool, thread-safe, fork-aware) per URL and process."""
    with _clients_lock:
        if url not in _clients:
            import redis  # installed with the workers extra, as Django's RedisCache needs

            _clients[url] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        return _clients[url]


class RedisPoliteness:
    """The rules for every process that shares one Redis.

    While Redis cannot be reached, the process counts its own requests instead (logged
    once when that starts and once when Redis is back): fetching goes on, polite per
    process as in the embedded mode, rather than every crawl step failing.
    """

    def __init__(self, rules: HostRules, url: str, prefix: str = "newsdesk") -> None:
        self.rules = rules
        self.url = url
        self.prefix = prefix
        self._client = redis_client(url)
        self._script = self._client.register_script(_ACQUIRE)
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._tokens = itertools.count(1)
        self._fallback = LocalPoliteness(rules)
        self._unreachable = False

    def _keys(self, host: str) -> list[str]:
        base = f"{self.prefix}:politeness:{host}"
        return [f"{base}:held", f"{base}:next"]

    def acquire(self, host: str) -> Slot | float:
        token = f"{self._owner}-{next(self._tokens)}"
        args = [
            self.rules.per_host,
            round(self.rules.spacing * 1000),
            max(1, round(self.rules.lease * 1000)),
            token,
        ]
        try:
            answer = int(self._script(keys=self._keys(host), args=args))
        except _redis_errors() as exc:
            return self._acquire_locally(host, exc)
        if self._unreachable:
            self._unreachable = False
            log.warning("Redis is back: per-host fetch limits are shared again (%s)", self.url)
        if answer == 0:
            return Slot(host, token)
        if answer < 0:
            return BUSY_POLL
        return answer / 1000

    def release(self, slot: Slot) -> None:
        if slot.token.startswith(_LOCAL):
            self._fallback.release(Slot(slot.host, slot.token.removeprefix(_LOCAL)))
            return
        try:
            self._client.zrem(self._keys(slot.host)[0], slot.token)
        except _redis_errors():
            pass  # the slot's lease ends it

    def _acquire_locally(self, host: str, exc: Exception) -> Slot | float:
        if not self._unreachable:
            self._unreachable = True
            log.warning(
                "Redis unreachable for the shared per-host fetch limits (%s: %s): counting "
                "in this process until it is back",
                type(exc).__name__,
                exc,
            )
        got = self._fallback.acquire(host)
        return Slot(got.host, _LOCAL + got.token) if isinstance(got, Slot) else got


_LOCAL = "local:"  # a slot counted in the process while Redis was unreachable


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError)


# ------------------------------------------------------------------------------- settings


def rules_from_settings(per_host: int | None = None, spacing: float | None = None) -> HostRules:
    """NEWSDESK_FETCH_PER_HOST, NEWSDESK_FETCH_HOST_SPACING; the lease from the fetch
    deadline (NEWSDESK_FETCH_DEADLINE)."""
    if per_host is None:
        per_host = int(getattr(settings, "NEWSDESK_FETCH_PER_HOST", HostRules.per_host))
    if spacing is None:
        spacing = float(getattr(settings, "NEWSDESK_FETCH_HOST_SPACING", HostRules.spacing))
    deadline = float(getattr(settings, "NEWSDESK_FETCH_DEADLINE", FetchPolicy().deadline))
    return HostRules(
        per_host=max(1, per_host),
        spacing=max(0.0, spacing),
        lease=2 * max(deadline, 1.0) + LEASE_MARGIN,
    )


def shared_redis_url() -> str:
    """The Redis URL of the shared cache (NEWSDESK_CACHE_URL), or "" without one."""
    cache = getattr(settings, "CACHES", {}).get("default", {})
    if cache.get("BACKEND") != REDIS_BACKEND:
        return ""
    location = cache.get("LOCATION", "")
    if isinstance(location, list | tuple):
        location = location[0] if location else ""  # Django writes to the first server
    return str(location)


def politeness_from_settings(
    per_host: int | None = None, spacing: float | None = None
) -> Politeness:
    """Shared through Redis when the cache is Redis, else for this process only."""
    rules = rules_from_settings(per_host, spacing)
    url = shared_redis_url()
    if url:
        prefix = str(getattr(settings, "CACHES", {})["default"].get("KEY_PREFIX") or "newsdesk")
        return RedisPoliteness(rules, url, prefix)
    return LocalPoliteness(rules)
