"""The client: redirects, conditional GET, pooling, and the module-level fetch."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import urljoin

import urllib3
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from newsdesk.lib.http.addresses import FetchPolicy
from newsdesk.lib.http.connections import (
    _WATCHDOG,
    _ca_bundle,
    _Guard,
    _GuardedHTTPPool,
    _GuardedHTTPSPool,
    _hop,
    _system_resolver,
)
from newsdesk.lib.http.constants import (
    _READ_CHUNK,
    _REDIRECT_DRAIN_LIMIT,
    ACCEPT_ENCODING,
    REDIRECT_STATUSES,
    Resolver,
)
from newsdesk.lib.http.decoding import _decoders, _pipe, _pipe_finish, _Sink, _TooLarge
from newsdesk.lib.http.errors import FetchError, FetchRefused, _Failure, _Refusal
from newsdesk.lib.http.response import (
    Response,
    _content_type,
    _Headers,
    parse_retry_after,
    user_agent,
)
from newsdesk.lib.http.urls import _Target, parse_url


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
