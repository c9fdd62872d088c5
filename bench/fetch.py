"""Benchmark: refresh 10,000 feeds with the real scheduler and client, against a naive loop.

    .venv/bin/python bench/fetch.py [--feeds 10000] [--hosts 2000] [--workers 8]

A local threaded HTTP server (its own process, so it does not share our GIL) serves the
feeds on 49 loopback addresses, 127.0.0.2 .. 127.0.0.50, all on one port. The feeds are
spread over ``--hosts`` host names (feeds-0001.bench.test ...) that a custom resolver maps
onto those addresses, as a CDN maps many sites onto a few IPs: the per-host limits (2 at
once, 1 s apart, the defaults) then apply per site name, as they would on the internet,
instead of throttling everything down to one host.

Each mode runs in its own process with its own throwaway SQLite database (or the
PostgreSQL of DATABASE_URL), so peak memory is its own:

1. prime: every feed fetched once (not timed), so ETags and items are stored;
2. measured round: every feed due again; the server answers 304 to 80% of the
   conditional requests and a changed feed (2 new items of 20) to the other 20%.

"scheduler" is ``Scheduler.step`` until nothing is due (claim, pool, per-host gate,
record). "naive" is a sequential loop: plain GET without validators, parse, save.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 51)]
ITEMS = 20


# ----------------------------------------------------------------- feed server


def feed_body(feed: int, generation: int) -> bytes:
    """Feed ``feed`` at ``generation``: 20 items, the newest numbered by generation."""
    first = generation * 2
    items = "".join(
        f"<item><title>Feed {feed} story {n}</title>"
        f"<link>http://site.example/{feed}/news/2026/story-{n}</link><guid>f{feed}-{n}</guid>"
        f"<description>Story {n} of feed {feed}, a paragraph of summary text.</description>"
        f"<pubDate>Sat, 14 Mar 2026 06:{n % 60:02d}:00 GMT</pubDate></item>"
        for n in range(first + ITEMS - 1, first - 1, -1)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {feed}</title><link>http://site.example/{feed}/</link>"
        f"{items}</channel></rss>"
    ).encode()


class FeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/__round":
            state["round"] += 1
            return self._send(200, b"ok", {})
        feed = int(self.path.rsplit("/", 1)[-1].split(".")[0])
        # Feed f changes in round r when (f + r) % 5 == 0: 20% of feeds each round.
        rounds = state["round"]
        generation = sum(1 for r in range(1, rounds + 1) if (feed + r) % 5 == 0)
        etag = f'"{feed}-{generation}"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", {"ETag": etag})
        body = feed_body(feed, generation)
        return self._send(200, body, {"ETag": etag, "Content-Type": "application/rss+xml"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


state = {"round": 0}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def serve(port: int, ready: Any) -> None:
    servers = [Server((address, port), FeedHandler) for address in ADDRESSES]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()
    threading.Event().wait()


def free_port() -> int:
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind((ADDRESSES[0], 0))
            port = probe.getsockname()[1]
        try:
            for address in ADDRESSES:
                with socket.socket() as sock:
                    sock.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no port free on every bench address")


def host_name(host: int) -> str:
    return f"feeds-{host:04d}.bench.test"


def resolver(name: str) -> list[str]:
    host = int(name.split(".", 1)[0].split("-")[1])
    return [ADDRESSES[host % len(ADDRESSES)]]


# ---------------------------------------------------------------- one mode run


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-fetch-bench-"))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    os.environ["NEWSDESK_LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from newsdesk.lib.http import FetchPolicy, HttpClient
    from newsdesk.sources.crawl import fetch_source, record
    from newsdesk.sources.models import Outlet, Source
    from newsdesk.sources.scheduler import Scheduler, SchedulerConfig

    call_command("migrate", verbosity=0, interactive=False)
    Source.objects.all().delete()
    outlet, _ = Outlet.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Source.objects.bulk_create(
        Source(outlet=outlet, url=f"http://{host_name(f % args.hosts)}:{args.port}/f/{f}.xml")
        for f in range(args.feeds)
    )
    policy = FetchPolicy(allow_networks=("127.0.0.0/8",), deadline=30.0)
    client = HttpClient(policy, resolver=resolver, max_pools=args.hosts + 16)
    config = SchedulerConfig(workers=args.workers, per_host=2, host_spacing=1.0, batch=1000)
    latencies: list[float] = []

    class TimedScheduler(Scheduler):
        def _fetch(self, source: Any, subscribers: int) -> Any:
            started = time.perf_counter()
            try:
                return super()._fetch(source, subscribers)
            finally:
                latencies.append(time.perf_counter() - started)

    def all_due() -> None:
        Source.objects.update(next_fetch_at=timezone.now())

    def next_round() -> None:
        client.fetch(f"http://{host_name(0)}:{args.port}/__round")

    with TimedScheduler(config, client=client) as scheduler:
        while scheduler.step():  # prime: every feed once, full bodies
            pass
    latencies.clear()
    next_round()
    all_due()
    statuses: dict[str, int] = {}
    started = time.perf_counter()
    if mode == "scheduler":
        with TimedScheduler(config, client=client) as scheduler:
            while results := scheduler.step():
                for result in results:
                    key = "not modified" if result.message == "not modified" else "changed"
                    statuses[key] = statuses.get(key, 0) + 1
    else:
        for source in Source.objects.all().order_by("id"):
            begun = time.perf_counter()
            source.etag = source.last_modified = ""  # plain GET, no validators
            result = record(source, fetch_source(source, client=client), timezone.now())
            latencies.append(time.perf_counter() - begun)
            key = "ok" if result.ok else "error"
            statuses[key] = statuses.get(key, 0) + 1
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "mode": mode,
        "feeds": args.feeds,
        "elapsed": elapsed,
        "feeds_per_s": args.feeds / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "outcomes": statuses,
        "database": "postgresql" if "postgres" in os.environ["DATABASE_URL"] else "sqlite",
    }


# ---------------------------------------------------------------------- driver


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--mode", choices=["scheduler", "naive"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS-fetch.md")
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args)))
        return
    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(10)
    results = []
    try:
        for mode in ("scheduler", "naive"):
            command = [sys.executable, __file__, "--mode", mode, "--port", str(port)]
            command += ["--feeds", str(args.feeds), "--hosts", str(args.hosts)]
            command += ["--workers", str(args.workers)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        server.terminate()
    text = report(results, args)
    print(text)
    if args.write:
        (ROOT / "bench" / "RESULTS-fetch.md").write_text(text)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.feeds} feeds on {args.hosts} host names over {len(ADDRESSES)} loopback "
        f"addresses; {os.cpu_count()} CPUs; {results[0]['database']}; measured round: "
        "80% of feeds unchanged (304 to a conditional GET), 20% with 2 new items.",
        "",
        "| mode | feeds/s | wall s | p50 ms/feed | p99 ms/feed | peak RSS MB | outcomes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
        lines.append(
            f"| {r['mode']} | {r['feeds_per_s']:.0f} | {r['elapsed']:.1f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['peak_rss_mb']:.0f} | {outcomes} |"
        )
    lines += [
        "",
        f"scheduler: {args.workers} workers, at most 2 requests at once per host name and "
        "1 s between requests to one host name (the defaults); conditional GET.",
        "naive: one feed after another, plain GET (no validators), parse, save.",
        "Latency: fetch + parse per feed (scheduler: on the pool, excluding the DB write;",
        "naive: fetch + parse + save). Peak RSS: the whole mode process, including the",
        "untimed priming round, Django and the parsers.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
