"""Rate limits: N requests per window per token, or per client address without one.

Fixed windows counted in Django's cache with ``add`` + ``incr``, which are atomic on the
shared backends (Redis, Memcached, the database cache), so every web process counts
against the same limit. The default local-memory cache counts per process. A refused
request gets 429 with Retry-After: the seconds until its window ends.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from newsdesk.api.models import ApiToken

DEFAULT_RATE = 60
DEFAULT_WINDOW = 60


def rate() -> tuple[int, int]:
    """(requests, window seconds) from NEWSDESK_API_RATE_LIMIT / NEWSDESK_API_RATE_WINDOW."""
    limit = int(getattr(settings, "NEWSDESK_API_RATE_LIMIT", DEFAULT_RATE))
    window = int(getattr(settings, "NEWSDESK_API_RATE_WINDOW", DEFAULT_WINDOW))
    return limit, max(window, 1)


def client_key(request: HttpRequest) -> str:
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken):
        return f"token:{auth.pk}"
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be unless a
    # proxy we trust rewrote it, and a proxy that does can set REMOTE_ADDR itself.
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def clock() -> float:
    return time.time()


class FixedWindowThrottle(BaseThrottle):
    def __init__(self) -> None:
        # ninja asks wait() right after a refused allow_request() on the same thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        limit, window = rate()
        now = clock()
        start = math.floor(now / window) * window
        key = f"newsdesk:api-rate:{client_key(request)}:{start}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
        self._local.wait = start + window - now
        return count <= limit

    def wait(self) -> float | None:
        return max(1.0, float(getattr(self._local, "wait", 1.0)))
