"""Connections that check the address actually connected to, under one deadline."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from newsdesk.lib.http.addresses import FetchPolicy
from newsdesk.lib.http.constants import Resolver
from newsdesk.lib.http.errors import _Failure, _Refusal


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
