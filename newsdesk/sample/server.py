"""Serve the sample outlets over real HTTP on 127.0.0.1, one port per outlet.

Separate ports (rather than one server with virtual hosts) give each outlet its
own origin, so the ingest code sees distinct sites exactly as it would in
production, with no DNS or Host-header tricks needed.

    python -m newsdesk.sample.server [--fault timeout] [--base-port 8101]
"""

from __future__ import annotations

import argparse
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from newsdesk.sample.catalog import Article, Catalog, Outlet, load_catalog
from newsdesk.sample.render import TIMEOUT_FAULT, Response, render

HOST = "127.0.0.1"
KNOWN_FAULTS = frozenset({TIMEOUT_FAULT})


@dataclass(frozen=True)
class RunningOutlet:
    """Where one outlet is being served right now."""

    slug: str
    name: str
    base_url: str
    home_url: str
    feed_urls: list[str] = field(default_factory=list)
    section_urls: list[str] = field(default_factory=list)
    article_urls: list[str] = field(default_factory=list)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a slow page must never keep the process alive
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer (the timeout fault does this on
        # purpose) are normal here; do not print tracebacks for them.
        return


def _handler_class(
    catalog: Catalog,
    outlet: Outlet,
    base_url: str,
    now: datetime,
    faults: frozenset[str],
    stopping: threading.Event,
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = f"{outlet.layout}-cms/1.0"
        protocol_version = "HTTP/1.1"
        timeout = 30  # idle keep-alive connections must not pin threads forever

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, send_body: bool) -> None:
            response = render(catalog, outlet.slug, self.path, base_url, now, faults)
            if response.delay_seconds and stopping.wait(response.delay_seconds):
                return  # shutting down: drop the request without answering
            self._send(response, send_body)

        def _send(self, response: Response, send_body: bool) -> None:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "max-age=60")
            self.end_headers()
            if send_body:
                self.wfile.write(response.body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the demo's own output matters, not an access log

    return Handler


class SampleSites:
    """All sample outlets, each on its own ephemeral port on 127.0.0.1.

    Use as a context manager, or call start() and stop(). ``now`` fixes the
    clock the articles' ages are measured from; by default it is the UTC time
    at start(), frozen so that feeds and pages agree for the whole run.
    """

    def __init__(
        self,
        now: datetime | None = None,
        faults: frozenset[str] = frozenset(),
        catalog: Catalog | None = None,
        base_port: int = 0,
    ) -> None:
        unknown = faults - KNOWN_FAULTS
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self.catalog = catalog or load_catalog()
        self.faults = faults
        self.base_port = base_port
        self._fixed_now = now
        self.now: datetime | None = None
        self.outlets: list[RunningOutlet] = []
        self._servers: list[_QuietServer] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self) -> SampleSites:
        if self._servers:
            raise RuntimeError("already started")
        self._stopping.clear()
        now = self._fixed_now or datetime.now(UTC)
        self.now = now.replace(microsecond=0)
        try:
            for index, outlet in enumerate(self.catalog.outlets):
                port = self.base_port + index if self.base_port else 0
                self._serve(outlet, port)
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, outlet: Outlet, port: int) -> None:
        assert self.now is not None
        # Bind first: the base URL (with its port) is part of every page.
        server = _QuietServer((HOST, port), BaseHTTPRequestHandler)
        base_url = f"http://{HOST}:{server.server_address[1]}"
        server.RequestHandlerClass = _handler_class(
            self.catalog, outlet, base_url, self.now, self.faults, self._stopping
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sample-{outlet.slug}",
            daemon=True,
        )
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        self.outlets.append(_running(self.catalog, outlet, base_url))

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()
        self.outlets.clear()

    def outlet(self, slug: str) -> RunningOutlet:
        for running in self.outlets:
            if running.slug == slug:
                return running
        raise KeyError(slug)

    def url_for(self, article: Article) -> str:
        """The clean (canonical) URL of an article on its running site."""
        return self.outlet(article.outlet).base_url + article.path

    def __enter__(self) -> SampleSites:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _running(catalog: Catalog, outlet: Outlet, base_url: str) -> RunningOutlet:
    return RunningOutlet(
        slug=outlet.slug,
        name=outlet.name,
        base_url=base_url,
        home_url=base_url + "/",
        feed_urls=[base_url + feed.path for feed in outlet.feeds],
        section_urls=[base_url + outlet.section_page_path(s.key) for s in outlet.sections],
        article_urls=[base_url + a.path for a in catalog.articles_for(outlet.slug)],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the fictional sample news outlets.")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(KNOWN_FAULTS))
    parser.add_argument(
        "--base-port", type=int, default=0, help="first port to use (default: ephemeral ports)"
    )
    args = parser.parse_args(argv)
    sites = SampleSites(faults=frozenset(args.fault), base_port=args.base_port)
    with sites:
        for running in sites.outlets:
            print(f"{running.name}  {running.home_url}")
            for url in running.feed_urls:
                print(f"    feed     {url}")
            for url in running.section_urls:
                print(f"    section  {url}")
        print("Serving until Ctrl-C.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopping.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
