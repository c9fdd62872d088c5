"""Local test sites for crawl, CLI and scheduler tests: good and hostile answers.

Each site binds one loopback address (127.0.0.1, or 127.0.0.2... to look like another
host) on an ephemeral port and answers from a route table a test fills in. It records
every request and how many were in progress at once, so tests can check what the
crawler sent and how politely.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from newsdesk.lib.http import FetchPolicy


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]  # lower-cased names
    started: float  # time.monotonic()


Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        site.entered(Seen(path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()))
        try:
            site.routes.get(path, site.fallback)(self)
        except OSError:
            self.close_connection = True
        finally:
            site.left()

    def answer(
        self, status: int, body: bytes = b"", content_type: str = "text/plain", **headers: str
    ) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site


class Site:
    def __init__(self, host: str = "127.0.0.1", delay: float = 0.0) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.delay = delay  # seconds each request takes, to make overlaps observable
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._server = _Server((host, 0), Handler)
        self._server.site = self
        self.host, self.port = host, self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, status: int = 200, body: bytes = b"", **kwargs: str) -> None:
        """A fixed answer at ``path`` (kwargs: content_type and extra headers)."""
        self.routes[path] = lambda h: h.answer(status, body, **kwargs)

    def fallback(self, handler: Handler) -> None:
        handler.answer(404, b"not found")

    def entered(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        if self.delay:
            time.sleep(self.delay)

    def left(self) -> None:
        with self._lock:
            self.active -= 1

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.path == path]


@dataclass
class FeedBuilder:
    """An RSS 2.0 feed of ``count`` items whose links point at ``base``."""

    base: str
    title: str = "Test Feed"
    count: int = 3
    prefix: str = "story"
    ttl: int | None = None
    extra_channel: str = ""
    items: list[str] = field(default_factory=list)

    def build(self) -> bytes:
        ttl = f"<ttl>{self.ttl}</ttl>" if self.ttl else ""
        items = "".join(
            f"<item><title>{self.prefix} {n}</title>"
            f"<link>{self.base}/news/2026/{self.prefix}-number-{n}</link>"
            f"<guid>{self.prefix}-{n}</guid>"
            f"<pubDate>Sat, 14 Mar 2026 0{n % 10}:00:00 GMT</pubDate></item>"
            for n in range(self.count)
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{self.title}</title><link>{self.base}/</link>{ttl}{self.extra_channel}"
            f"{items}{''.join(self.items)}</channel></rss>"
        ).encode()


RSS = "application/rss+xml; charset=utf-8"

# The test sites live on these loopback addresses; nothing else is allowed, so a
# redirect to another loopback address (127.0.0.9) is refused like a private one.
ALLOWED = ("127.0.0.1/32", "127.0.0.2/32", "127.0.0.3/32")
POLICY = FetchPolicy(allow_networks=ALLOWED, deadline=1.5, max_bytes=1024 * 1024)
