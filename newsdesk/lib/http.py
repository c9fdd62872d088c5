"""The one guarded HTTP client that every outbound request of Newsdesk goes through.

Every URL a user gives us is untrusted, so this module:

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

This module must not import Django: it is used by workers and by the CLI alike.
"""

from __future__ import annotations

import contextlib
import email.utils
import heapq
import ipaddress
import itertools
import re
import socket
import threading
import time
import typing
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import RemoteDisconnected
from typing import Any, Protocol
from urllib.parse import urljoin

import brotli
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

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
    "parse_url",
    "user_agent",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Sequence[str]]

USER_AGENT_PRODUCT = "Newsdesk/0.1"
PROJECT_URL = "https://github.com/newsdesk"
ACCEPT_ENCODING = "gzip, deflate, br"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = 8192
_READ_CHUNK = 64 * 1024
_DECODE_PIECE = 64 * 1024
# A redirect's body is discarded; reading a little keeps the connection reusable.
_REDIRECT_DRAIN_LIMIT = 64 * 1024

# Ports browsers refuse to fetch from (the WHATWG "bad port" list): talking HTTP to
# SMTP, IRC, LDAP... is how cross-protocol attacks work, and no feed lives there.
DEFAULT_BLOCKED_PORTS: frozenset[int] = frozenset(
    {0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79}
    | {87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137}
    | {139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532}
    | {540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723}
    | {2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669}
    | {6679, 6697, 10080}
)


# --------------------------------------------------------------------------- errors


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


# --------------------------------------------------------------- address classifier


def _nets(*specs: tuple[str, str]) -> tuple[tuple[Any, str], ...]:
    return tuple((ipaddress.ip_network(net), what) for net, what in specs)


_METADATA = "a cloud metadata address"
_PRIVATE = "a private network address"
_DOCS = "a documentation address"

_IPV4_RULES = _nets(
    # Metadata endpoints first: their specific wording helps operators.
    ("169.254.169.254/32", _METADATA),
    ("100.100.100.200/32", _METADATA),
    ("0.0.0.0/8", "a 'this network' address (0.0.0.0/8)"),
    ("10.0.0.0/8", _PRIVATE),
    ("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", _PRIVATE),
    ("192.0.0.0/24", "an IETF protocol assignment address"),
    ("192.0.2.0/24", _DOCS),
    ("192.88.99.0/24", "a 6to4 relay anycast address"),
    ("192.168.0.0/16", _PRIVATE),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", _DOCS),
    ("203.0.113.0/24", _DOCS),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "the broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
)

_IPV6_RULES = _nets(
    ("fd00:ec2::254/128", _METADATA),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("100::/64", "a discard-only address"),
    # Teredo hides the client's IPv4 address XOR-ed; no honest feed lives there.
    ("2001::/32", "a Teredo tunnel address"),
    ("2001:db8::/32", _DOCS),
    ("3fff::/20", _DOCS),
    ("fc00::/7", "a unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def _low32(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _embedded_reason(ip: ipaddress.IPv6Address) -> str | None:
    """IPv6 forms that carry an IPv4 address: judge the IPv4 address inside."""
    if ip in _MAPPED or ip in _TRANSLATED:
        v4 = _low32(ip)
        inner = classify_address(v4)
        return f"an IPv4-mapped form of {v4}, which is {inner}" if inner else None
    if ip in _NAT64:
        v4 = _low32(ip)
        inner = classify_address(v4)
        return f"a NAT64 form of {v4}, which is {inner}" if inner else None
    if ip in _NAT64_LOCAL:
        # RFC 8215 local-use prefix: by definition inside someone's network.
        v4 = _low32(ip)
        inner = classify_address(v4)
        if inner:
            return f"a local-use NAT64 form of {v4}, which is {inner}"
        return "a local-use NAT64 address"
    if ip in _SIX_TO_FOUR:
        v4 = ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
        inner = classify_address(v4)
        return f"a 6to4 form of {v4}, which is {inner}" if inner else None
    if ip in _COMPATIBLE and int(ip) > 1:
        return f"an IPv4-compatible form of {_low32(ip)} (deprecated, never routed)"
    return None


def classify_address(address: str | IPAddress) -> str | None:
    """Say why ``address`` is not a public internet address, or None if it is.

    The answer is a noun phrase ("a loopback address") meant for sentences like
    "refused: 127.0.0.1 is a loopback address". Python's ``ipaddress`` flags miss
    several of these (CGNAT, NAT64, 6to4, metadata...), hence the explicit tables;
    ``is_global`` is only the final safety net.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        embedded = _embedded_reason(ip)
        if embedded:
            return embedded
        if ip in _MAPPED or ip in _TRANSLATED or ip in _NAT64 or ip in _SIX_TO_FOUR:
            return None  # the embedded IPv4 address is public
        rules = _IPV6_RULES
    else:
        rules = _IPV4_RULES
    for network, what in rules:
        if ip in network:
            return str(what)
    if ip.is_multicast or ip.is_reserved or ip.is_private or not ip.is_global:
        return "not a public internet address"
    return None


# ------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class FetchPolicy:
    """What the client may fetch and how long / how much. Hashable: clients are cached
    per policy by the module-level :func:`fetch`."""

    # CIDR strings or network objects; normalised to network objects on creation.
    allow_networks: tuple[IPNetwork | str, ...] = ()
    max_redirects: int = 5
    deadline: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    blocked_ports: frozenset[int] = DEFAULT_BLOCKED_PORTS

    def __post_init__(self) -> None:
        # Accept CIDR strings (settings files) as well as network objects.
        networks = tuple(
            ipaddress.ip_network(net, strict=False) if isinstance(net, str) else net
            for net in self.allow_networks
        )
        object.__setattr__(self, "allow_networks", networks)
        object.__setattr__(self, "blocked_ports", frozenset(self.blocked_ports))

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        """The allow-list as network objects."""
        return typing.cast(tuple[IPNetwork, ...], self.allow_networks)  # see __post_init__

    def refusal(self, address: str | IPAddress) -> str | None:
        """The refusal message for connecting to ``address``, or None if allowed."""
        text = str(address).split("%", 1)[0]
        ip = ipaddress.ip_address(text)
        # The allow-list matches the address exactly as connected: allowing
        # 127.0.0.1/32 does not silently allow ::ffff:127.0.0.1 as well.
        if any(ip in net for net in self.networks):
            return None
        what = classify_address(ip)
        return f"refused: {ip} is {what}" if what else None


# --------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII; IPv6 without brackets
    port: int
    path: str  # path + query, what goes on the request line
    ip: IPAddress | None  # set when the host is an IP literal

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_UNSAFE_RE = re.compile(r"[\x00-\x20\x7f-\x9f\\\u00a0\u1680\u2000-\u200f\u2028-\u202f\ufeff]")
_HOST_RE = re.compile(r"[a-z0-9_\-]+(\.[a-z0-9_\-]+)*")
_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0x[0-9a-f]*")
_DOTTED_QUAD_RE = re.compile(
    r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)
_PORT_RE = re.compile(r"[0-9]{1,5}")


def _ambiguous(why: str) -> _Refusal:
    return _Refusal(f"refused: {why}", "ambiguous_url")


def parse_url(url: str, policy: FetchPolicy | None = None) -> _Target:
    """Validate and normalise an untrusted URL; raise FetchRefused if it is refused."""
    try:
        return _parse(url, policy or FetchPolicy())
    except _Refusal as refusal:
        raise FetchRefused(refusal.reason, url, refusal.kind) from None


def _parse(url: str, policy: FetchPolicy) -> _Target:
    if not isinstance(url, str) or not url:
        raise _ambiguous("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise _ambiguous(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if _UNSAFE_RE.search(url):
        raise _ambiguous("the URL contains spaces, control characters or backslashes")
    match = _SCHEME_RE.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "a URL without a scheme"
        raise _Refusal(f"refused: only http and https URLs are fetched, not {shown}", "bad_scheme")
    rest = url[len(scheme) + 1 :]
    if not rest.startswith("//") or rest.startswith("///"):
        raise _ambiguous("the URL must look like http://host/path")
    rest = rest[2:]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        raise _ambiguous("URLs with a user name or password (user@host) are not fetched")
    host, port = _split_authority(authority, scheme)
    if port in policy.blocked_ports:
        raise _Refusal(f"refused: port {port} belongs to a non-web protocol", "blocked_port")
    host, ip = _normalise_host(host)
    return _Target(scheme, host, port, _request_path(tail), ip)


def _split_authority(authority: str, scheme: str) -> tuple[str, int]:
    default = 443 if scheme == "https" else 80
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise _ambiguous("the IPv6 address is not closed with ']'")
        host, after = authority[: end + 1], authority[end + 1 :]
        if after and not after.startswith(":"):
            raise _ambiguous("unexpected text after the IPv6 address")
        port_text = after[1:] if after else None
    elif authority.count(":") > 1:
        raise _ambiguous("IPv6 addresses must be written in [brackets]")
    else:
        host, _, port_text = authority.partition(":")
        port_text = port_text if ":" in authority else None
    if port_text is None:
        return host, default
    if not _PORT_RE.fullmatch(port_text) or not 0 < int(port_text) < 65536:
        raise _ambiguous(f"{port_text!r} is not a valid port")
    return host, int(port_text)


def _normalise_host(host: str) -> tuple[str, IPAddress | None]:
    if not host:
        raise _ambiguous("the URL has no host")
    if host.startswith("["):
        inner = host[1:-1]
        if "%" in inner:
            raise _ambiguous("IPv6 zone identifiers are not allowed")
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError:
            raise _ambiguous(f"{host} is not a valid IPv6 address") from None
        return str(ip6), ip6
    if "%" in host:
        # WHATWG parsers percent-decode hosts, others do not.
        raise _ambiguous("percent-encoded host names are not allowed")
    ascii_host = _to_ascii(host)
    ip4 = _numeric_host(ascii_host, host)
    return (str(ip4), ip4) if ip4 else (ascii_host, None)


def _to_ascii(host: str) -> str:
    if host.isascii():
        ascii_host = host.lower()
    else:
        try:
            ascii_host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise _ambiguous(f"{host!r} is not a valid internationalised domain name") from None
    bare = ascii_host[:-1] if ascii_host.endswith(".") else ascii_host
    if len(bare) > 253 or not _HOST_RE.fullmatch(bare):
        raise _ambiguous(f"{host!r} is not a valid host name")
    if any(len(label) > 63 for label in bare.split(".")):
        raise _ambiguous(f"{host!r} has a label longer than 63 characters")
    if any(not _valid_punycode(label) for label in bare.split(".") if label.startswith("xn--")):
        raise _ambiguous(f"{host!r} is not a valid internationalised domain name")
    return ascii_host


def _valid_punycode(label: str) -> bool:
    """An ``xn--`` label must decode to something IDNA would itself encode back."""
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
        return bool(decoded) and decoded.encode("idna").decode("ascii").lower() == label
    except UnicodeError:
        return False


def _numeric_host(ascii_host: str, original: str) -> ipaddress.IPv4Address | None:
    """Accept only the canonical dotted quad; refuse every other numeric spelling.

    Browsers (WHATWG) read any host whose last label is a number as IPv4, with octal,
    hex and shortened forms (127.1, 0x7f000001, 0177.0.0.1, 2130706433); other
    parsers read them as names. Refusing them removes the disagreement.
    """
    last = ascii_host.rstrip(".").rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL_RE.fullmatch(last):
        return None
    if original == ascii_host and _DOTTED_QUAD_RE.fullmatch(ascii_host):
        return ipaddress.IPv4Address(ascii_host)
    raise _ambiguous(f"{original} is an unusual numeric spelling of an IP address")


def _request_path(tail: str) -> str:
    tail = tail.split("#", 1)[0]
    if not tail.startswith("/"):
        tail = "/" + tail
    if not tail.isascii():
        # Percent-encode non-ASCII as UTF-8, as browsers do; ASCII stays as given.
        tail = "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode()) for c in tail)
    return tail


# ---------------------------------------------------------------------- watchdog


class _HopState(threading.local):
    """Per-thread state of the hop in progress, read by the guarded connections."""

    deadline: float | None = None
    peer: tuple[str, int] = ("", 0)
    tokens: list[int]

    def __init__(self) -> None:
        self.tokens = []


_hop = _HopState()


class _Watchdog:
    """One thread that shuts sockets down when their fetch's total deadline passes.

    Socket timeouts are per recv(): a server sending one byte per second never trips
    them. Shutting the socket down from outside wakes up any blocked read (headers,
    TLS handshake or body) at the deadline.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Any]] = []
        self._live: set[int] = set()
        self._seq = itertools.count(1)
        self._thread: threading.Thread | None = None

    def arm(self, conn: Any, deadline: float) -> int:
        with self._cond:
            token = next(self._seq)
            # A pooled connection may later serve another fetch; the token tells
            # the watchdog whether the connection still belongs to this one.
            conn._newsdesk_watch = token
            self._live.add(token)
            heapq.heappush(self._heap, (deadline, token, conn))
            if len(self._heap) > 1024 and len(self._heap) > 4 * len(self._live):
                self._heap = [entry for entry in self._heap if entry[1] in self._live]
                heapq.heapify(self._heap)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="newsdesk-http-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return token

    def disarm(self, tokens: Iterable[int]) -> None:
        with self._cond:
            self._live.difference_update(tokens)

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token, conn = self._heap[0]
                if token not in self._live:
                    heapq.heappop(self._heap)
                    continue
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(token)
                if getattr(conn, "_newsdesk_watch", None) == token:
                    _shutdown(conn.sock)


def _shutdown(sock: socket.socket | None) -> None:
    if sock is None:
        return
    # The plain-socket method on purpose: SSLSocket.shutdown would also tear down
    # the TLS object under the feet of the thread that is reading.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()


def _arm(conn: Any) -> None:
    deadline = _hop.deadline
    if deadline is not None:
        _hop.tokens.append(_WATCHDOG.arm(conn, deadline))


# ------------------------------------------------------------ guarded connections


def _system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


@dataclass(frozen=True)
class _Guard:
    policy: FetchPolicy
    resolver: Resolver


def _open_socket(guard: _Guard, host: str, port: int) -> socket.socket:
    """Resolve, screen every candidate, connect, then check the connected peer.

    Screening before connect avoids even a SYN to a forbidden address; the check on
    ``getpeername()`` afterwards is the one that counts (whatever resolved, this is
    where the bytes would go).
    """
    try:
        candidates = list(guard.resolver(host))
    except (OSError, UnicodeError) as exc:
        raise _Failure(f"could not resolve {host}: {exc}", "connect") from None
    refusals: list[str] = []
    errors: list[str] = []
    for address in candidates:
        refusal = guard.policy.refusal(address)
        if refusal:
            refusals.append(refusal)
            continue
        sock = _connect(address, port, guard.policy, errors)
        if sock is not None:
            return sock
    if errors:
        kind = "timeout" if all("timed out" in e for e in errors) else "connect"
        raise _Failure(errors[0], kind)
    if refusals:
        raise _Refusal(refusals[0])
    raise _Failure(f"could not resolve {host}: no addresses", "connect")


def _connect(
    address: str, port: int, policy: FetchPolicy, errors: list[str]
) -> socket.socket | None:
    remaining = _remaining()
    if remaining <= 0:
        raise _Failure("timed out: total deadline reached while connecting", "timeout")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(min(policy.connect_timeout, remaining))
        sock.connect((address, port))
        peer = sock.getpeername()
    except TimeoutError:
        sock.close()
        errors.append(f"timed out connecting to {address} port {port}")
        return None
    except OSError as exc:
        sock.close()
        errors.append(f"could not connect to {address} port {port}: {exc.strerror or exc}")
        return None
    refusal = policy.refusal(str(peer[0]))
    if refusal:
        sock.close()
        raise _Refusal(refusal)
    _hop.peer = (str(peer[0]).split("%", 1)[0], int(peer[1]))
    return sock


def _remaining() -> float:
    deadline = _hop.deadline
    return float("inf") if deadline is None else deadline - time.monotonic()


class _GuardedConnectionMixin:
    """What both guarded connection classes add: sockets opened through the guard, the
    total deadline armed before connect (and so before any TLS handshake: a server
    dripping its handshake is cut too) and before each request."""

    _dns_host: str
    port: int

    def __init__(self, *args: Any, guard: _Guard, **kwargs: Any) -> None:
        self._guard = guard
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        sock = _open_socket(self._guard, self._dns_host, self.port)
        self._newsdesk_peer = _hop.peer
        return sock

    def connect(self) -> None:
        _arm(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _arm(self)
        # A reused keep-alive connection does not reconnect: report its peer.
        _hop.peer = getattr(self, "_newsdesk_peer", ("", 0))
        super().request(*args, **kwargs)  # type: ignore[misc]


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def _ca_bundle() -> str | None:
    try:
        import certifi
    except ImportError:  # system store then
        return None
    return str(certifi.where())


# ----------------------------------------------------------------- body decoding


class _TooLarge(Exception):
    pass


class _Sink:
    """Collects decoded bytes and stops the moment they exceed the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buffer = bytearray()

    def write(self, data: bytes) -> None:
        if len(self.buffer) + len(data) > self.cap:
            raise _TooLarge
        self.buffer += data


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _ZlibDecoder:
    """zlib/gzip/raw deflate, never producing more than one piece at a time."""

    def __init__(self, wbits: int | None) -> None:
        # wbits None: "deflate", zlib-wrapped by the RFC, raw in practice; sniffed.
        self._wbits = wbits
        self._head = b""
        self._obj: Any = zlib.decompressobj(wbits) if wbits is not None else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._obj is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            cmf, flg = data[0], data[1]
            zlib_wrapped = cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        yield from self._drain(data)

    def _drain(self, data: bytes) -> Iterator[bytes]:
        try:
            while True:
                out = self._obj.decompress(data, _DECODE_PIECE)
                if out:
                    yield out
                if self._obj.eof:
                    data = self._next_member()
                    if not data:
                        return
                    continue
                data = self._obj.unconsumed_tail
                # A full piece may leave output pending inside zlib: ask again.
                if not data and len(out) < _DECODE_PIECE:
                    return
        except zlib.error as exc:
            raise ProtocolError(f"undecodable compressed body: {exc}") from None

    def _next_member(self) -> bytes:
        # Concatenated gzip members are legal; anything else after the end is junk.
        rest: bytes = self._obj.unused_data
        if self._wbits == 16 + zlib.MAX_WBITS and rest[:2] == b"\x1f\x8b":
            self._obj = zlib.decompressobj(self._wbits)
            return rest
        return b""

    def finish(self) -> Iterator[bytes]:
        if self._head:
            raise ProtocolError("truncated compressed body")
        return iter(())


class _BrotliDecoder:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._obj.process(data, output_buffer_limit=_DECODE_PIECE)
            while True:
                if out:
                    yield out
                # Output was cut at the limit: pull the rest with empty input.
                if self._obj.can_accept_more_data() or self._obj.is_finished():
                    return
                out = self._obj.process(b"", output_buffer_limit=_DECODE_PIECE)
        except brotli.error as exc:
            raise ProtocolError(f"undecodable brotli body: {exc}") from None

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


def _decoders(content_encoding: str | None) -> list[_Decoder]:
    """Decoders in the order to apply them (the reverse of how they were applied)."""
    names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
    chain: list[_Decoder] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip"):
            chain.append(_ZlibDecoder(16 + zlib.MAX_WBITS))
        elif name == "deflate":
            chain.append(_ZlibDecoder(None))
        elif name == "br":
            chain.append(_BrotliDecoder())
        elif name != "identity":
            raise _Failure(f"unsupported content-encoding {name!r}", "protocol")
    if len(chain) > 3:
        raise _Failure("too many content-encodings", "protocol")
    return chain or [_Identity()]


def _pipe(chain: list[_Decoder], data: bytes, index: int = 0) -> Iterator[bytes]:
    for piece in chain[index].feed(data):
        if index + 1 == len(chain):
            yield piece
        else:
            yield from _pipe(chain, piece, index + 1)


def _pipe_finish(chain: list[_Decoder], index: int = 0) -> Iterator[bytes]:
    for piece in chain[index].finish():
        if index + 1 == len(chain):
            yield piece
        else:
            yield from _pipe(chain, piece, index + 1)
    if index + 1 < len(chain):
        yield from _pipe_finish(chain, index + 1)


# ---------------------------------------------------------------------- response


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


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait, from either delta-seconds or an HTTP-date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
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


# ------------------------------------------------------------------------ client


class HttpClient:
    """Thread-safe guarded client with keep-alive pools per (scheme, host, port).

    Reuse one instance for many fetches: connections to the same host are kept
    open between fetches (each was checked when it connected).
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: Resolver | None = None,
        pool_maxsize: int = 16,
        max_pools: int = 256,
        ca_certs: str | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._guard = _Guard(self.policy, resolver or _system_resolver)
        self._pool_maxsize = pool_maxsize
        self._max_pools = max_pools
        self._pools: OrderedDict[tuple[str, str, int], HTTPConnectionPool] = OrderedDict()
        self._lock = threading.Lock()
        # An operator with an internal CA can pass its bundle; default: certifi.
        self._ca_certs = ca_certs or _ca_bundle()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        subscribers: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """GET ``url`` following redirects; see the module docstring for guarantees."""
        started = time.monotonic()
        deadline = started + self.policy.deadline
        target = self._parse(url)
        request_headers = self._headers(etag, last_modified, subscribers, headers)
        redirects: list[str] = []
        seen = {target.url}
        while True:
            status, resp_headers, body, address = self._hop(target, request_headers, deadline)
            location = resp_headers.get("location")
            if status in REDIRECT_STATUSES and location:
                target = self._follow(target, location, redirects, seen)
                continue
            return self._response(
                target, url, status, resp_headers, body, address, redirects, started,
                etag, last_modified,
            )  # fmt: skip

    # -- steps -----------------------------------------------------------------

    def _parse(self, url: str) -> _Target:
        target = parse_url(url, self.policy)
        if target.ip is not None:
            # An IP literal needs no DNS: refuse it before opening anything.
            refusal = self.policy.refusal(target.ip)
            if refusal:
                raise FetchRefused(refusal, url)
        return target

    def _follow(
        self, current: _Target, location: str, redirects: list[str], seen: set[str]
    ) -> _Target:
        next_url = urljoin(current.url, _fix_header_text(location))
        if len(redirects) >= self.policy.max_redirects:
            raise FetchError(
                f"too many redirects (more than {self.policy.max_redirects})",
                next_url,
                "too_many_redirects",
            )
        target = self._parse(next_url)
        if target.url in seen:
            raise FetchError(
                f"redirect loop: {target.url} was already visited", next_url, "redirect_loop"
            )
        seen.add(target.url)
        redirects.append(target.url)
        return target

    def _headers(
        self,
        etag: str | None,
        last_modified: str | None,
        subscribers: int | None,
        extra: Mapping[str, str] | None,
    ) -> dict[str, str]:
        headers = {"User-Agent": user_agent(subscribers), "Accept": "*/*"}
        for name, value in (extra or {}).items():
            if name.lower() not in (
                "host",
                "accept-encoding",
                "content-length",
                "transfer-encoding",
            ):
                headers[name] = value
        headers["Accept-Encoding"] = ACCEPT_ENCODING
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def _pool(self, target: _Target) -> HTTPConnectionPool:
        key = (target.scheme, target.host, target.port)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            pool = self._new_pool(target)
            self._pools[key] = pool
            evicted = (
                self._pools.popitem(last=False)[1] if len(self._pools) > self._max_pools else None
            )
        if evicted is not None:
            evicted.close()
        return pool

    def _new_pool(self, target: _Target) -> HTTPConnectionPool:
        common: dict[str, Any] = {
            "maxsize": self._pool_maxsize,
            "block": False,
            "retries": False,
            "guard": self._guard,
        }
        if target.scheme == "https":
            return _GuardedHTTPSPool(
                target.host,
                target.port,
                cert_reqs="CERT_REQUIRED",
                ca_certs=self._ca_certs,
                **common,
            )
        return _GuardedHTTPPool(target.host, target.port, **common)

    def _hop(
        self, target: _Target, headers: dict[str, str], deadline: float
    ) -> tuple[int, _Headers, bytes, tuple[str, int]]:
        """One request/response exchange; retried once if a pooled keep-alive
        connection turns out to have been closed by the server meanwhile."""
        for attempt in (1, 2):
            try:
                return self._exchange(target, headers, deadline)
            except _StaleConnection:
                if attempt == 2 or time.monotonic() >= deadline:
                    raise FetchError(
                        "the server closed the connection without answering", target.url, "protocol"
                    ) from None
        raise AssertionError("unreachable")

    def _exchange(
        self, target: _Target, headers: dict[str, str], deadline: float
    ) -> tuple[int, _Headers, bytes, tuple[str, int]]:
        _hop.deadline, _hop.tokens, _hop.peer = deadline, [], ("", 0)
        try:
            return self._exchange_armed(target, headers, deadline)
        except (_TooLarge, _Refusal, _Failure, HTTPError, OSError) as exc:
            raise _translate(exc, target, self.policy, deadline) from None
        finally:
            _WATCHDOG.disarm(_hop.tokens)
            _hop.deadline, _hop.tokens = None, []

    def _exchange_armed(
        self, target: _Target, headers: dict[str, str], deadline: float
    ) -> tuple[int, _Headers, bytes, tuple[str, int]]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Failure("timed out: total deadline reached", "timeout")
        timeout = urllib3.Timeout(
            connect=min(self.policy.connect_timeout, remaining),
            read=min(self.policy.read_timeout, remaining),
        )
        try:
            resp = self._pool(target).urlopen(
                "GET",
                target.path,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                timeout=timeout,
            )
        except ProtocolError as exc:
            if _is_stale(exc) and time.monotonic() < deadline:
                raise _StaleConnection from None
            raise
        try:
            address = _hop.peer
            resp_headers = _Headers(resp.headers)
            if resp.status in REDIRECT_STATUSES and resp_headers.get("location"):
                body = self._drain(resp)
            else:
                body = self._read_body(resp, resp_headers, deadline)
            resp.release_conn()
            return resp.status, resp_headers, body, address
        except BaseException:
            resp.close()  # unread bytes make the connection unusable
            resp.release_conn()
            raise

    def _read_body(self, resp: Any, headers: _Headers, deadline: float) -> bytes:
        cap = self.policy.max_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _TooLarge
        chain = _decoders(headers.get("content-encoding"))
        sink = _Sink(cap)
        raw_total = 0
        while True:
            chunk = resp.read1(_READ_CHUNK, decode_content=False)
            _check_deadline(deadline)
            if not chunk:
                break
            raw_total += len(chunk)
            if raw_total > cap:
                raise _TooLarge
            for piece in _pipe(chain, chunk):
                sink.write(piece)
        for piece in _pipe_finish(chain):
            sink.write(piece)
        _check_deadline(deadline)
        return bytes(sink.buffer)

    def _drain(self, resp: Any) -> bytes:
        total = 0
        while chunk := resp.read1(_READ_CHUNK, decode_content=False):
            total += len(chunk)
            if total > _REDIRECT_DRAIN_LIMIT:
                resp.close()
                break
        return b""

    def _response(
        self,
        target: _Target,
        requested_url: str,
        status: int,
        headers: _Headers,
        body: bytes,
        address: tuple[str, int],
        redirects: list[str],
        started: float,
        sent_etag: str | None,
        sent_last_modified: str | None,
    ) -> Response:
        content_type, charset = _content_type(headers.get("content-type"))
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        if status == 304:
            # A 304 may omit unchanged validators: keep the ones we sent.
            etag = etag or sent_etag
            last_modified = last_modified or sent_last_modified
        return Response(
            url=target.url,
            requested_url=requested_url,
            status=status,
            headers=headers,
            body=body,
            address=(str(address[0]), int(address[1])),
            redirects=redirects,
            elapsed=time.monotonic() - started,
            content_type=content_type,
            charset=charset,
            etag=etag,
            last_modified=last_modified,
            retry_after=parse_retry_after(headers.get("retry-after")),
        )


class _StaleConnection(Exception):
    pass


def _is_stale(exc: ProtocolError) -> bool:
    cause = exc.args[1] if len(exc.args) > 1 else exc.__context__
    return isinstance(cause, RemoteDisconnected | ConnectionResetError | BrokenPipeError)


def _check_deadline(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise _Failure("timed out: total deadline reached while reading", "timeout")


def _fix_header_text(value: str) -> str:
    # http.client decodes headers as latin-1; a UTF-8 Location becomes mojibake.
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _translate(
    exc: BaseException, target: _Target, policy: FetchPolicy, deadline: float
) -> FetchError:
    url = target.url
    if isinstance(exc, _TooLarge):
        return FetchError(f"too large: the body is over {policy.max_bytes} bytes", url, "too_large")
    if isinstance(exc, _Refusal):
        return FetchRefused(exc.reason, url, exc.kind)
    if isinstance(exc, _Failure):
        return FetchError(exc.reason, url, exc.kind)
    # Whatever broke, if the deadline has passed the watchdog probably broke it.
    if time.monotonic() >= deadline or isinstance(
        exc, ReadTimeoutError | ConnectTimeoutError | TimeoutError
    ):
        return FetchError(f"timed out after {policy.deadline:g} s deadline", url, "timeout")
    if isinstance(exc, SSLError):
        return FetchError(f"TLS error: {_innermost(exc)}", url, "tls")
    if isinstance(exc, NewConnectionError):
        return FetchError(f"could not connect: {_innermost(exc)}", url, "connect")
    return FetchError(f"protocol error: {_innermost(exc)}", url, "protocol")


def _innermost(exc: BaseException) -> str:
    seen = exc
    while seen.__cause__ is not None or (
        len(seen.args) > 1 and isinstance(seen.args[1], BaseException)
    ):
        seen = seen.__cause__ or seen.args[1]
    # The class name says what went wrong (BadStatusLine, IncompleteRead...); the
    # message alone can be the garbage the server sent.
    message = str(seen).strip()
    name = type(seen).__name__
    return f"{name}: {message[:200]!r}" if message else name


# -------------------------------------------------------------- module helpers

_default_clients: dict[FetchPolicy, HttpClient] = {}
_default_lock = threading.Lock()


def _client_for(policy: FetchPolicy | None) -> HttpClient:
    policy = policy or FetchPolicy()
    with _default_lock:
        client = _default_clients.get(policy)
        if client is None:
            client = _default_clients[policy] = HttpClient(policy)
        return client


def fetch(
    url: str,
    *,
    policy: FetchPolicy | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    subscribers: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Convenience over a shared :class:`HttpClient` per policy."""
    return _client_for(policy).fetch(
        url, etag=etag, last_modified=last_modified, subscribers=subscribers, headers=headers
    )


def describe(result: Response | FetchError) -> dict[str, Any]:
    """A JSON-able outcome for the CLI and logs."""
    if isinstance(result, FetchError):
        return {
            "ok": False,
            "outcome": "refused" if isinstance(result, FetchRefused) else "error",
            "kind": result.kind,
            "reason": result.reason,
            "url": result.url,
        }
    return {
        "ok": True,
        "outcome": "not_modified" if result.not_modified else "response",
        "status": result.status,
        "url": result.url,
        "requested_url": result.requested_url,
        "address": {"ip": result.address[0], "port": result.address[1]},
        "bytes": len(result.body),
        "content_type": result.content_type,
        "charset": result.charset,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "retry_after": result.retry_after,
        "redirects": list(result.redirects),
        "elapsed": round(result.elapsed, 3),
    }
