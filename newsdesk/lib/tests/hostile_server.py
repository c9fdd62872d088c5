"""A deliberately badly-behaved HTTP server for testing the guarded client.

It speaks raw bytes over sockets (not http.server) so it can misbehave exactly:
drip bytes, hang, reset mid-body, answer with garbage, serve compression bombs.
It binds to a loopback address and an ephemeral port only.
"""

from __future__ import annotations

import gzip
import itertools
import socket
import socketserver
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit

import brotli

BOMB_SIZE = 32 * 1024 * 1024  # decoded size of each bomb


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    connection_id: int


@dataclass
class _Bombs:
    gzip: bytes = b""
    deflate: bytes = b""
    br: bytes = b""


def _make_bombs() -> _Bombs:
    zeros = bytes(1024 * 1024)
    gz = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zl = zlib.compressobj(9)
    gz_parts, zl_parts = [], []
    for _ in range(BOMB_SIZE // len(zeros)):
        gz_parts.append(gz.compress(zeros))
        zl_parts.append(zl.compress(zeros))
    gz_parts.append(gz.flush())
    zl_parts.append(zl.flush())
    br = brotli.compress(bytes(BOMB_SIZE), quality=5)
    return _Bombs(b"".join(gz_parts), b"".join(zl_parts), br)


_BOMBS: _Bombs | None = None
_BOMBS_LOCK = threading.Lock()


def bombs() -> _Bombs:
    global _BOMBS
    with _BOMBS_LOCK:
        if _BOMBS is None:
            _BOMBS = _make_bombs()
        return _BOMBS


Handler = Callable[["_Connection", Request], bool]  # returns: keep the connection open?


@dataclass
class HostileServer:
    host: str = "127.0.0.1"
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        owner = self

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                if owner.tls is not None:
                    try:
                        sock = owner.tls.wrap_socket(sock, server_side=True)
                    except (OSError, ssl.SSLError):
                        return  # the client refused our certificate
                _Connection(owner, sock, next(owner._ids)).serve()

        self._server = _Server((self.host, 0), _Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def last(self, path: str) -> Request:
        with self._lock:
            return [r for r in self.requests if r.path == path][-1]


class _Connection:
    def __init__(self, server: HostileServer, sock: socket.socket, cid: int) -> None:
        self.server = server
        self.sock = sock
        self.cid = cid
        self.buffer = b""
        sock.settimeout(0.2)

    # -- reading ---------------------------------------------------------------

    def _read_head(self) -> bytes | None:
        while b"\r\n\r\n" not in self.buffer:
            if self.server.stopping.is_set():
                return None
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not data:
                return None
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        return head

    def serve(self) -> None:
        try:
            while True:
                head = self._read_head()
                if head is None:
                    return
                request = self._parse(head)
                self.server.record(request)
                if not ROUTES.get(request.path, _not_found)(self, request):
                    return
        except OSError:
            return
        finally:
            self.sock.close()

    def _parse(self, head: bytes) -> Request:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return Request(method, parts.path, query, headers, self.cid)

    # -- writing ---------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def respond(
        self,
        status: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        length: bool = True,
    ) -> bool:
        lines = [f"HTTP/1.1 {status}"]
        all_headers = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        if length:
            all_headers["Content-Length"] = str(len(body))
        else:
            all_headers["Connection"] = "close"
        lines += [f"{k}: {v}" for k, v in all_headers.items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return length

    def wait_for_stop(self, seconds: float = 10.0) -> None:
        """Hold the connection open without answering (until the client gives up)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.server.stopping.is_set():
            try:
                if self.sock.recv(1024) == b"":
                    return
            except TimeoutError:
                continue


# ------------------------------------------------------------------------ routes


def _ok(conn: _Connection, req: Request) -> bool:
    return conn.respond("200 OK", b"hello")


def _echo(conn: _Connection, req: Request) -> bool:
    return conn.respond("200 OK", req.query.get("say", "").encode())


def _connection_id(conn: _Connection, req: Request) -> bool:
    return conn.respond("200 OK", str(conn.cid).encode())


def _feed(conn: _Connection, req: Request) -> bool:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    return conn.respond("200 OK", body, {"Content-Type": "application/rss+xml; charset=UTF-8"})


def _html(conn: _Connection, req: Request) -> bool:
    body = b"<!doctype html><html><body>Not a feed</body></html>"
    return conn.respond("200 OK", body, {"Content-Type": 'text/html; charset="ISO-8859-1"'})


def _empty(conn: _Connection, req: Request) -> bool:
    return conn.respond("200 OK", b"")


def _status(code: str) -> Handler:
    return lambda conn, req: conn.respond(code, code.encode())


def _retry_seconds(conn: _Connection, req: Request) -> bool:
    return conn.respond("429 Too Many Requests", b"slow down", {"Retry-After": "120"})


def _retry_date(conn: _Connection, req: Request) -> bool:
    when = formatdate(time.time() + 3600, usegmt=True)
    return conn.respond("503 Service Unavailable", b"later", {"Retry-After": when})


def _etag(conn: _Connection, req: Request) -> bool:
    if req.headers.get("if-none-match") == '"v1"':
        return conn.respond(
            "304 Not Modified",
            b"",
            {"ETag": '"v2"', "Last-Modified": "Tue, 01 Apr 2025 10:00:00 GMT"},
        )
    return conn.respond(
        "200 OK",
        b"fresh",
        {"ETag": '"v1"', "Last-Modified": "Mon, 31 Mar 2025 10:00:00 GMT"},
    )


def _redirect(conn: _Connection, req: Request) -> bool:
    return conn.respond("302 Found", b"moved", {"Location": req.query["to"]})


def _chain(conn: _Connection, req: Request) -> bool:
    n = int(req.query.get("n", "0"))
    target = "/ok" if n <= 0 else f"/chain?n={n - 1}"
    return conn.respond("301 Moved Permanently", b"", {"Location": target})


def _loop_a(conn: _Connection, req: Request) -> bool:
    return conn.respond("302 Found", b"", {"Location": "/loop-b"})


def _loop_b(conn: _Connection, req: Request) -> bool:
    return conn.respond("307 Temporary Redirect", b"", {"Location": "/loop-a"})


def _big(conn: _Connection, req: Request) -> bool:
    return conn.respond("200 OK", b"x" * int(req.query.get("size", "2000000")))


def _big_unannounced(conn: _Connection, req: Request) -> bool:
    """No Content-Length: the client only learns the size by reading."""
    conn.respond("200 OK", b"", length=False)
    chunk = b"y" * 65536
    try:
        for _ in range(200):  # 13 MB if the client kept reading
            conn.send(chunk)
    except OSError:
        pass
    return False


def _bomb(name: str) -> Handler:
    def handler(conn: _Connection, req: Request) -> bool:
        body = getattr(bombs(), name)
        encoding = {"gzip": "gzip", "deflate": "deflate", "br": "br"}[name]
        try:
            return conn.respond("200 OK", body, {"Content-Encoding": encoding})
        except OSError:
            return False

    return handler


def _gzip_small(conn: _Connection, req: Request) -> bool:
    body = gzip.compress(b"compressed hello " * 100)
    return conn.respond("200 OK", body, {"Content-Encoding": "gzip"})


def _raw_deflate(conn: _Connection, req: Request) -> bool:
    comp = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = comp.compress(b"raw deflate " * 50) + comp.flush()
    return conn.respond("200 OK", body, {"Content-Encoding": "deflate"})


def _brotli_small(conn: _Connection, req: Request) -> bool:
    body = brotli.compress(b"brotli hello " * 100)
    return conn.respond("200 OK", body, {"Content-Encoding": "br"})


def _chunked(conn: _Connection, req: Request) -> bool:
    head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    conn.send(head.encode())
    for part in (b"chunk one, ", b"chunk two, ", b"chunk three"):
        conn.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        time.sleep(0.01)
    conn.send(b"0\r\n\r\n")
    return True


def _drip(conn: _Connection, req: Request) -> bool:
    """Headers promptly, then one byte every 0.1 s: never idle long enough for a
    socket timeout to fire."""
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    return _drip_bytes(conn, b"z" * 100000)


def _drip_headers(conn: _Connection, req: Request) -> bool:
    return _drip_bytes(conn, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100000)


def _drip_bytes(conn: _Connection, data: bytes) -> bool:
    try:
        for byte in data:
            if conn.server.stopping.is_set():
                break
            conn.send(bytes([byte]))
            time.sleep(0.1)
    except OSError:
        pass
    return False


def _reset(conn: _Connection, req: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n" + b"partial" * 10)
    time.sleep(0.05)
    # SO_LINGER 0 makes close() send an RST instead of a FIN.
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


def _hang(conn: _Connection, req: Request) -> bool:
    conn.wait_for_stop()
    return False


def _garbage(conn: _Connection, req: Request) -> bool:
    conn.send(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not http at all\r\n\r\n")
    return False


def _truncated(conn: _Connection, req: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little")
    return False


def _not_found(conn: _Connection, req: Request) -> bool:
    return conn.respond("404 Not Found", b"no such route")


ROUTES: dict[str, Handler] = {
    "/ok": _ok,
    "/echo": _echo,
    "/connection-id": _connection_id,
    "/feed.xml": _feed,
    "/html": _html,
    "/empty": _empty,
    "/gone": _status("410 Gone"),
    "/missing": _status("404 Not Found"),
    "/broken": _status("500 Internal Server Error"),
    "/retry-seconds": _retry_seconds,
    "/retry-date": _retry_date,
    "/etag": _etag,
    "/redirect": _redirect,
    "/chain": _chain,
    "/loop-a": _loop_a,
    "/loop-b": _loop_b,
    "/big": _big,
    "/big-unannounced": _big_unannounced,
    "/bomb-gzip": _bomb("gzip"),
    "/bomb-deflate": _bomb("deflate"),
    "/bomb-br": _bomb("br"),
    "/gzip": _gzip_small,
    "/raw-deflate": _raw_deflate,
    "/brotli": _brotli_small,
    "/chunked": _chunked,
    "/drip": _drip,
    "/drip-headers": _drip_headers,
    "/reset": _reset,
    "/hang": _hang,
    "/garbage": _garbage,
    "/truncated": _truncated,
}
