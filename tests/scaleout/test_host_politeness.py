"""Per-host politeness across processes: two ``fetchsources --loop`` and three
``fetchpages --loop`` processes share one Redis (NEWSDESK_CACHE_URL) and one PostgreSQL
database, and fetch feeds and pages from one local HTTP server under two host names
(127.0.0.1 and localhost). The server records, per Host header, when each request
started and how many were in progress at once: the per-host cap and spacing must hold
for all five processes together, feeds and pages alike. Each process alone would allow
the full cap, so five keeping their own counts would go over it (and do: with
NEWSDESK_CACHE_URL unset, this test sees four requests at once and starts 0.1 s apart).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newsdesk.articles.tests.conftest import article_page, story
from newsdesk.sources.tests.servers import RSS, FeedBuilder
from tests.scaleout.services import ROOT, Database, Process, require, run_newsdesk, wait_for

REDIS_URL = os.environ.get("NEWSDESK_TEST_CACHE_URL", "redis://127.0.0.1:6379/14")
HOSTS = ("127.0.0.1", "localhost")  # one server, two hosts to the politeness rules
FEEDS_PER_HOST = 3
ITEMS_PER_FEED = 3
PER_HOST = 2
SPACING = 0.25  # seconds between the starts of two requests to one host
SERVE_SECONDS = 0.8  # each answer takes this long, so requests overlap when allowed
# More page workers than a host's cap: each, counting alone, would go over it.
PAGE_WORKERS = PER_HOST + 1
JITTER = 0.05  # a start seen by the server lags the permission by a few milliseconds
RUN_LEASE = 120  # seconds: a run killed mid-way lets the next one in after this


@dataclass
class HostLog:
    starts: list[float] = field(default_factory=list)
    active: int = 0
    most_active: int = 0


class RecordingServer:
    """Feeds and article pages for any host name, each request logged under its Host."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hosts: dict[str, HostLog] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                recorder.entered(host)
                try:
                    time.sleep(SERVE_SECONDS)
                    status, ctype, body = recorder.answer(host, self.path)
                finally:
                    # Over before the client can see the answer: once it has, its slot
                    # may go to another process, whose request must not look concurrent.
                    recorder.left(host)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def entered(self, host: str) -> None:
        with self.lock:
            log = self.hosts.setdefault(host, HostLog())
            log.starts.append(time.monotonic())
            log.active += 1
            log.most_active = max(log.most_active, log.active)

    def left(self, host: str) -> None:
        with self.lock:
            self.hosts[host].active -= 1

    def base(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    def answer(self, host: str, path: str) -> tuple[int, str, bytes]:
        if path.startswith("/feed-") and path.endswith(".xml"):
            name = path[len("/feed-") : -len(".xml")]
            feed = FeedBuilder(self.base(host), count=ITEMS_PER_FEED, prefix=f"f{name}")
            return 200, RSS, feed.build()
        if path.startswith("/news/"):
            page = article_page(f"Story {path} on {host}", story(f"{host}{path}"))
            return 200, "text/html; charset=utf-8", page.encode()
        return 404, "text/plain", b"not found"  # robots.txt: everything allowed

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure is the reason shown
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture
def shared_cache() -> Iterator[str]:
    """The Redis the processes share, to this test alone while it runs: two runs at once
    (two people's test runs on one machine) would share the two hosts' slots."""
    require(f"Redis at {REDIS_URL}", redis_problem())
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    lock = client.lock("newsdesk-test:host-politeness", timeout=RUN_LEASE, blocking_timeout=90)
    if not lock.acquire():
        pytest.fail("another run of this test held the Redis for 90 s", pytrace=False)

    def forget() -> None:  # slots left by an earlier run killed mid-way
        for host in HOSTS:
            keys = list(client.scan_iter(match=f"newsdesk:politeness:{host}:*"))
            if keys:
                client.delete(*keys)

    forget()
    try:
        yield REDIS_URL
    finally:
        forget()
        with contextlib.suppress(redis.exceptions.LockError):  # expired: nothing to free
            lock.release()
        client.close()


SEED = """
import json, os
from django.utils import timezone
from newsdesk.sources.models import Outlet, Source
outlet = Outlet.objects.create(name="Politeness", slug="politeness")
for n, url in enumerate(json.loads(os.environ["SEED_FEEDS"])):
    Source.objects.create(outlet=outlet, url=url, next_fetch_at=timezone.now())
"""


def start(name: str, args: list[str], env: dict[str, str], tmp_path: Path) -> Process:
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "newsdesk", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Process(name, popen, log)


def stop(jobs: list[Process]) -> None:
    for job in jobs:  # --loop stops between steps on SIGTERM and prints its step count
        if job.popen.poll() is None:
            job.popen.send_signal(signal.SIGTERM)
    for job in jobs:
        try:
            job.popen.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(job.popen.pid, signal.SIGKILL)
            job.popen.wait(5)


def logs(jobs: list[Process]) -> str:
    return "\n".join(f"----- {j.name} -----\n{j.output()[-3000:]}" for j in jobs)


def test_the_per_host_cap_and_spacing_hold_across_fetching_processes(
    database: Database, shared_cache: str, tmp_path: Path
) -> None:
    with RecordingServer() as server:
        feeds = [
            f"{server.base(host)}/feed-{n}.xml" for n in range(FEEDS_PER_HOST) for host in HOSTS
        ]
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
        env.update(
            DATABASE_URL=database.url,
            NEWSDESK_CACHE_URL=shared_cache,
            NEWSDESK_FETCH_ALLOW_NETWORKS="127.0.0.1/32",
            NEWSDESK_FETCH_PER_HOST=str(PER_HOST),
            NEWSDESK_FETCH_HOST_SPACING=str(SPACING),
            NEWSDESK_FETCH_WORKERS="2",  # small claims, so both schedulers get sources
            NEWSDESK_FETCH_DEADLINE="10",
            NEWSDESK_DATA_DIR=str(tmp_path / "var"),
            DJANGO_SETTINGS_MODULE="newsdesk.settings",
            PYTHONUNBUFFERED="1",
        )
        import json

        run_newsdesk(["shell", "-c", SEED], {**env, "SEED_FEEDS": json.dumps(feeds)})
        jobs = [
            start(f"{command}-{n}", [command, "--loop"], env, tmp_path)
            for command, copies in (("fetchsources", 2), ("fetchpages", PAGE_WORKERS))
            for n in range(1, copies + 1)
        ]
        items = len(feeds) * ITEMS_PER_FEED

        def settled() -> bool:
            crawled = database.value(
                "SELECT count(*) FROM sources_source WHERE last_fetched_at IS NOT NULL"
            )
            finished = database.value(
                "SELECT count(*) FROM sources_sourceitem WHERE state <> 'pending'"
            )
            return bool(crawled == len(feeds) and finished == items)

        try:
            wait_for(settled, 60, "every feed and page to be fetched")
        except BaseException:
            stop(jobs)
            print(logs(jobs))
            raise
        stop(jobs)

    # Every page stored at its first try: waiting for a busy host spent no attempt.
    states = database.rows("SELECT state, attempts, count(*) FROM sources_sourceitem GROUP BY 1, 2")
    assert states == [("done", 1, items)], logs(jobs)
    assert database.value("SELECT sum(page_error_count) FROM sources_source") == 0
    # Both processes of each kind took part (a --loop job prints its steps when stopped).
    for job in jobs:
        assert job.popen.returncode == 0, logs(jobs)
        steps = [line for line in job.output().splitlines() if " steps" in line]
        assert steps and not steps[-1].endswith(": 0 steps"), logs(jobs)

    for host in HOSTS:
        log = server.hosts[host]
        # Feeds, pages and robots.txt: every request to the host went through the rules.
        assert len(log.starts) >= FEEDS_PER_HOST * (1 + ITEMS_PER_FEED)
        assert log.most_active == PER_HOST, (host, log.most_active)
        starts = sorted(log.starts)
        gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
        assert min(gaps) >= SPACING - JITTER, (host, [round(g, 3) for g in gaps])
