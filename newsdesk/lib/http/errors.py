"""What a fetch raises: refusals by policy and network or protocol failures."""

from __future__ import annotations


class FetchError(Exception):
    """A fetch that did not produce an HTTP response (network or protocol failure).

    ``kind`` is a stable code: "timeout", "too_large", "redirect_loop",
    "too_many_redirects", "connect", "tls", "protocol" (and, for the
    :class:`FetchRefused` subclass, "blocked_address", "blocked_port", "bad_scheme",
    "ambiguous_url").
    """

    def __init__(self, reason: str, url: str, kind: str = "protocol") -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.kind = kind

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason!r}, {self.url!r}, kind={self.kind!r})"


class FetchRefused(FetchError):
    """The policy refused the fetch: nothing was sent (or the socket was dropped
    before anything was sent)."""

    def __init__(self, reason: str, url: str, kind: str = "blocked_address") -> None:
        super().__init__(reason, url, kind)


class _Refusal(Exception):
    """Raised below the client (inside urllib3), turned into FetchRefused with a URL.

    Deliberately not an OSError, so urllib3 neither wraps nor retries it."""

    def __init__(self, reason: str, kind: str = "blocked_address") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class _Failure(Exception):
    """Like _Refusal, for network failures found while connecting."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
