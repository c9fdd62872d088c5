"""The one guarded HTTP client that every outbound request of Newsdesk goes through.

Every URL a user gives us is untrusted, so this package:

* refuses URLs that two parsers could read differently (userinfo, backslashes, odd
  numeric host spellings, control characters, bad ports, broken IDNA);
* checks the address it *actually connected to* (``getpeername``) on every hop, so a
  DNS answer that changes between a check and the connect (rebinding) cannot reach
  loopback, private, link-local, metadata or otherwise non-public addresses;
* enforces one total deadline across connect, headers and body with a watchdog
  that shuts the socket down, so a server dripping one byte per second stops on time;
* decodes gzip / deflate / brotli itself, incrementally, so a small bomb stops at the
  decoded-size cap with bounded memory.

HTTP error statuses (404, 410, 429, 500...) are not exceptions: they come back as
:class:`Response` objects. Only policy refusals (:class:`FetchRefused`) and network or
protocol failures (:class:`FetchError`) raise.

This package must not import Django: it is used by workers and by the CLI alike.
"""

from newsdesk.lib.http.addresses import FetchPolicy, classify_address
from newsdesk.lib.http.client import HttpClient, describe, fetch
from newsdesk.lib.http.constants import DEFAULT_BLOCKED_PORTS, USER_AGENT_PRODUCT
from newsdesk.lib.http.errors import FetchError, FetchRefused
from newsdesk.lib.http.response import Response, parse_retry_after, user_agent
from newsdesk.lib.http.urls import parse_url

__all__ = [
    "DEFAULT_BLOCKED_PORTS",
    "FetchError",
    "FetchPolicy",
    "FetchRefused",
    "HttpClient",
    "Response",
    "USER_AGENT_PRODUCT",
    "classify_address",
    "describe",
    "fetch",
    "parse_retry_after",
    "parse_url",
    "user_agent",
]
