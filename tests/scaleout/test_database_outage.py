"""A database outage under a running worker: the same process waits it out and goes on.

Each worker reaches PostgreSQL through a TCP proxy on 127.0.0.1 that the test cuts: the
open connections are dropped and new ones refused, as when PostgreSQL restarts or the
network between them fails. The worker is cut off in the middle of a page (the sample
server holds that page until the database is gone), more work arrives during the outage,
and when the proxy is back the same process, never restarted, finishes everything, each
item once, and its log tells where the outage began and ended.

One test runs ``fetchpages --loop`` (the ``--loop`` commands, newsdesk/jobs.py), one runs a
Celery worker on each broker (newsdesk/celery.py), paced by ticks sent the way beat does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.scaleout.services import (
    ROOT,
    Broker,
    Database,
    Processes,
    World,
    run_newsdesk,
    wait_for,
)

OUTAGE_SECONDS = 4.0
LEASE_SECONDS = "3"  # a page claim cut off by the outage is taken up again this soon
DOWN = "database unavailable"
BACK = "database available again"


# ---------------------------------------------------------------------------- the proxy


class Proxy:
    """TCP from 127.0.0.1:<port> to PostgreSQL, one thread per direction per connection,
    that can be cut (every connection dropped, new ones refused) and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self.connections = 0  # accepted since the start, for the test's own checks
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    def url(self, database_url: str) -> str:
        """``database_url`` with this proxy in place of the server."""
        parts = urlsplit(database_url)
        user = parts.netloc.rpartition("@")[0]
        address = f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=f"{user}@{address}" if user else address))

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))  # the same port again after a cut
        listener.listen(64)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            dropped, self._open = self._open, set()
        if listener is not None:
            listener.close()  # nothing listens: connecting is refused at once
        for sock in dropped:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            with self._lock:
                if self._listener is not listener:
                    return
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by cut()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    client.close()
                    server.close()
                    return
                self._open |= {client, server}
                self.connections += 1
            ends = [0]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink, client, server, ends), daemon=True
                ).start()

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        client: socket.socket,
        server: socket.socket,
        ends: list[int],
    ) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            ends[0] += 1
            last = ends[0] == 2
            self._open -= {client, server}
        if last:  # both directions are over: nobody reads these sockets any more
            client.close()
            server.close()


@pytest.fixture
def proxy(database: Database) -> Iterator[Proxy]:
    parts = urlsplit(database.url)
    running = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    try:
        yield running
    finally:
        running.cut()


# ------------------------------------------------------------------------- the scenario


def item_states(database: Database) -> dict[int, tuple[str, int, str]]:
    rows = database.rows("SELECT id, state, attempts, error FROM sources_sourceitem")
    return {pk: (state, attempts, error) for pk, state, attempts, error in rows}


def work_left(database: Database) -> int:
    """Items still to do now: pending, claimable, and not waiting on a broken page (the
    sample's 500 waits minutes for its next try, with its error)."""
    return int(
        database.value(
            "SELECT count(*) FROM sources_sourceitem WHERE state = 'pending' AND error = ''"
        )
    )


@dataclass
class Scenario:
    world: World
    database: Database
    proxy: Proxy
    held_id: int = 0
    later: int = 0  # items kept back, to arrive during the outage

    def prepare(self) -> None:
        """Crawl every feed (straight to PostgreSQL), keep the second half of the items
        back for later, and hold one page of the first half at the sample server."""
        env = {
            **os.environ,
            "DATABASE_URL": self.database.url,
            "NEWSDESK_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
            "NEWSDESK_FETCH_HOST_SPACING": "0",
        }
        run_newsdesk(["fetchsources"], env)
        items = self.database.rows("SELECT id, url FROM sources_sourceitem ORDER BY id")
        assert len(items) >= 20, items
        half = items[len(items) // 2][0]
        self.later = len(
            self.database.rows(
                "UPDATE sources_sourceitem SET retry_at = now() + interval '1 day'"
                " WHERE id >= %s RETURNING id",
                half,
            )
        )
        paths = [urlsplit(url).path for _, url in items]
        unique = [
            (pk, url) for pk, url in items if pk < half and paths.count(urlsplit(url).path) == 1
        ]
        self.held_id, held_url = unique[len(unique) // 2]
        self.world.gate.path = urlsplit(held_url).path

    def release_later_items(self) -> int:
        return len(
            self.database.rows(
                "UPDATE sources_sourceitem SET retry_at = NULL"
                " WHERE retry_at > now() + interval '1 hour' RETURNING id"
            )
        )

    def run_outage(self, log: Callable[[], str], poke: Callable[[], None]) -> float:
        """With the worker inside the held page: cut, add work, let the page go (the
        worker now meets the outage), restore after OUTAGE_SECONDS. ``poke`` is what beat
        would do meanwhile. Returns when the cut started."""
        wait_for(self.world.gate.entered.is_set, 60, "the worker to reach the held page")
        done_before = sum(1 for s, _, _ in item_states(self.database).values() if s == "done")
        assert done_before >= 1  # the worker did some work before the outage
        cut_at = time.monotonic()
        self.proxy.cut()
        assert self.release_later_items() == self.later  # new work, while it is down
        self.world.gate.released.set()

        def noticed() -> bool:
            poke()
            return DOWN in log()

        wait_for(noticed, OUTAGE_SECONDS, "the worker to log the outage")
        while time.monotonic() - cut_at < OUTAGE_SECONDS:
            poke()
            time.sleep(0.2)
        assert BACK not in log()
        self.proxy.restore()
        return cut_at

    def assert_everything_done_once(self, log: str) -> None:
        states = item_states(self.database)
        assert work_left(self.database) == 0
        # Every item claimed once, but the held one: its first claim died with the
        # connection before it stored anything, and its lease gave it back.
        twice = {
            pk: row for pk, row in states.items() if row[1] != (2 if pk == self.held_id else 1)
        }
        assert twice == {}
        assert states[self.held_id][0] == "done"
        # The held page was fetched again; no article stored twice or half.
        stored = [
            url for (url,) in self.database.rows("SELECT canonical_url FROM articles_article")
        ]
        assert sorted(stored) == sorted(self.world.article_urls())
        unlinked = self.database.value(
            "SELECT count(*) FROM articles_article a WHERE NOT EXISTS"
            " (SELECT 1 FROM sources_sourceitem i WHERE i.article_id = a.id)"
        )
        assert unlinked == 0
        # One line as the outage began, one when the database answered again.
        assert [line for line in log.splitlines() if DOWN in line or BACK in line] == [
            next(line for line in log.splitlines() if DOWN in line),
            next(line for line in log.splitlines() if BACK in line),
        ]


# --------------------------------------------------------------------------- the tests


def test_a_looping_page_worker_waits_out_a_database_outage_in_the_same_process(
    world: World, database: Database, proxy: Proxy, tmp_path: Path
) -> None:
    scenario = Scenario(world, database, proxy)
    scenario.prepare()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "NEWSDESK_TEST_CRASH_AT", "NEWSDESK_CACHE_URL"}
    }
    env.update(
        DATABASE_URL=proxy.url(database.url),
        NEWSDESK_FETCH_ALLOW_NETWORKS="127.0.0.1/32",
        NEWSDESK_FETCH_HOST_SPACING="0",
        NEWSDESK_PAGE_LEASE_SECONDS=LEASE_SECONDS,
        NEWSDESK_DATA_DIR=str(tmp_path / "var"),
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "fetchpages.log"

    def log() -> str:
        return log_path.read_text(errors="replace")

    with log_path.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "newsdesk", "fetchpages", "--loop"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive() -> None:
        assert worker.poll() is None, f"the worker exited:\n{log()}"  # nor was restarted

    try:
        scenario.run_outage(log, poke=alive)

        def finished() -> bool:
            alive()
            return work_left(database) == 0 and BACK in log()

        wait_for(finished, 30, f"the worker to finish after the outage\n{log()}")
        assert worker.poll() is None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(15) == 0, log()  # and it still stops cleanly
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(5)
    scenario.assert_everything_done_once(log())
    assert proxy.connections >= 2  # it did reconnect, through the restored proxy


def test_a_celery_worker_waits_out_a_database_outage_in_the_same_process(
    world: World, database: Database, proxy: Proxy, processes: Processes, broker: Broker
) -> None:
    scenario = Scenario(world, database, proxy)
    scenario.prepare()
    worker = processes.worker(
        "outage",
        DATABASE_URL=proxy.url(database.url),
        NEWSDESK_FETCH_HOST_SPACING="0",
        NEWSDESK_PAGE_LEASE_SECONDS=LEASE_SECONDS,
    )
    sent_at = 0.0

    def tick() -> None:
        """What beat does every NEWSDESK_BEAT_SECONDS (here, every second)."""
        nonlocal sent_at
        if time.monotonic() - sent_at > 1.0:
            broker.send("process_pending_items", limit=1000, spread=False)
            sent_at = time.monotonic()

    broker.send("process_pending_items", limit=1000, spread=False)
    scenario.run_outage(worker.output, poke=tick)

    def finished() -> bool:
        assert worker.popen.poll() is None, worker.output()
        tick()
        return work_left(database) == 0 and BACK in worker.output()

    processes.wait_for(finished, 30, "the worker to finish after the outage")
    assert worker.popen.poll() is None
    assert worker.output().count("ready.") == 1  # one start: the same process throughout
    scenario.assert_everything_done_once(worker.output())
    assert "OperationalError" in worker.output()  # the ticks that met the outage failed
