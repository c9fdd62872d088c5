"""Real services for the scale-out tests (fixtures re-exported by conftest.py): PostgreSQL,
Redis or RabbitMQ, Celery worker and beat processes, the sample news world on 127.0.0.1.

No Django test database here: the worker processes must see the database the test reads,
so each test gets a PostgreSQL database of its own (a copy of one migrated template),
dropped at the end, and reads it with psycopg. Not using the ``db`` fixture also means
the ``--db-only`` PostgreSQL pass of ``make test`` deselects these tests: they run once,
in the first pass, against PostgreSQL whatever that pass's DATABASE_URL is.

A service that does not answer is a skip with the reason, except under CI=true, where it
is a failure: these tests must never vanish from CI unnoticed.
"""

from __future__ import annotations

import contextlib
import email
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy as email_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from newsdesk.sample import server as sample_server
from newsdesk.sample.catalog import Catalog, load_catalog
from newsdesk.sample.server import SampleSites

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get(
    "NEWSDESK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
BROKER_URLS = {
    "redis": os.environ.get("NEWSDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "rabbitmq": os.environ.get("NEWSDESK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
SUBPROCESS_TIMEOUT = 120
_numbers = itertools.count()


def require(service: str, problem: str | None) -> None:
    if problem is None:
        return
    where = f"{service} is not reachable ({problem})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{where}: the scale-out tests need it in CI", pytrace=False)
    pytest.skip(where)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # names are ours, not input


def _postgres_problem() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def _broker_problem(url: str) -> str | None:
    try:
        from kombu import Connection
    except ImportError:
        return "kombu is not installed (pip install -e '.[workers]')"
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure is the reason shown
        return f"{type(exc).__name__}: {exc}"
    return None


def run_newsdesk(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    if done.returncode != 0:
        pytest.fail(f"newsdesk {args[0]} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return done.stdout


# ------------------------------------------------------------------------------ PostgreSQL


@dataclass
class Database:
    url: str

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(_libpq(self.url), autocommit=True, connect_timeout=5) as conn:
            return list(conn.execute(sql, params))

    def value(self, sql: str, *params: Any) -> Any:
        return self.rows(sql, *params)[0][0]


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    """One migrated database; each test's database is a copy of it (fast)."""
    require(f"PostgreSQL at {POSTGRES_URL}", _postgres_problem())
    name = f"newsdesk_scaleout_{os.getpid()}_template"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DATABASE_URL": with_database(POSTGRES_URL, name)}
        run_newsdesk(["migrate", "--noinput"], env)
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database(migrated_template: str) -> Iterator[Database]:
    name = f"newsdesk_scaleout_{os.getpid()}_{next(_numbers)}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    try:
        yield Database(with_database(POSTGRES_URL, name))
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -------------------------------------------------------------------------------- brokers


@dataclass
class Broker:
    kind: str
    url: str
    queue: str
    queues: set[str] = field(default_factory=set)
    _client: Any = None

    def client(self) -> Any:
        if self._client is None:
            from celery import Celery

            self._client = Celery("newsdesk-test", broker=self.url)
        return self._client

    def send(self, task: str, queue: str | None = None, **kwargs: Any) -> None:
        """Enqueue a task by name, as beat does: the test process needs no worker code."""
        queue = queue or self.queue
        self.queues.add(queue)
        self.client().send_task(f"newsdesk.tasks.{task}", kwargs=kwargs, queue=queue)

    def close(self) -> None:
        if self._client is None:
            return
        with self._client.connection_for_write() as conn:
            for queue in self.queues:
                # Cleanup of a queue nobody uses any more: a failure is not the test's.
                with contextlib.suppress(Exception):
                    conn.default_channel.queue_delete(queue)
        self._client.close()


@pytest.fixture(params=sorted(BROKER_URLS))
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    kind = request.param
    url = BROKER_URLS[kind]
    require(f"{kind} at {url}", _broker_problem(url))
    queued = Broker(kind, url, queue=f"newsdesk-test-{uuid.uuid4().hex[:10]}")
    queued.queues.add(queued.queue)
    try:
        yield queued
    finally:
        queued.close()


# ------------------------------------------------------------------------ the sample world


@dataclass
class Gate:
    """Holds the request for one page until released: the worker fetching it is then
    known to be in the middle of that item."""

    path: str = ""
    entered: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


@dataclass
class World:
    sites: SampleSites
    catalog: Catalog
    requests: Counter[str] = field(default_factory=Counter)  # "outlet-slug path" -> count
    gate: Gate = field(default_factory=Gate)

    def feed_requests(self) -> dict[str, int]:
        return {
            f"{outlet.slug} {feed.path}": self.requests[f"{outlet.slug} {feed.path}"]
            for outlet in self.catalog.outlets
            for feed in outlet.feeds
        }

    def article_urls(self) -> set[str]:
        return {self.sites.url_for(article) for article in self.catalog.articles}


SEED = """
import datetime as dt, json, os
from django.utils import timezone
from newsdesk.sample.catalog import load_catalog
from newsdesk.sample.seed import seed_readers, seed_sources, seed_topics
catalog = load_catalog()
now = timezone.now()
seed_topics(catalog)
seed_sources(catalog, json.loads(os.environ["SEED_BASE_URLS"]), now)
# Every reader's digest fell due two minutes ago, in their own zone.
for reader in seed_readers():
    reader.digest_time = (now - dt.timedelta(minutes=2)).astimezone(reader.zone).time()
    reader.save(update_fields=["digest_time"])
"""


@pytest.fixture
def world(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    catalog = load_catalog()
    counted = World(SampleSites(catalog=catalog), catalog)
    render = sample_server.render

    def counting_render(catalog: Catalog, slug: str, path: str, *args: Any) -> Any:
        counted.requests[f"{slug} {path}"] += 1
        gate = counted.gate
        if gate.path and path.split("?")[0] == gate.path and not gate.entered.is_set():
            gate.entered.set()
            gate.released.wait(60)
        return render(catalog, slug, path, *args)

    # The sample server looks render up on every request: count (and maybe hold) each.
    monkeypatch.setattr(sample_server, "render", counting_render)
    with counted.sites:
        import json

        base_urls = {outlet.slug: outlet.base_url for outlet in counted.sites.outlets}
        env = {**os.environ, "DATABASE_URL": database.url, "SEED_BASE_URLS": json.dumps(base_urls)}
        run_newsdesk(["shell", "-c", SEED], env)
        try:
            yield counted
        finally:
            counted.gate.released.set()


# ------------------------------------------------------------------------------ processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group: a prefork worker and its pool children."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)


class Processes:
    """Celery worker and beat processes for one test, all stopped at its end."""

    def __init__(self, tmp_path: Path, database: Database, broker: Broker) -> None:
        self.tmp_path = tmp_path
        self.database = database
        self.broker = broker
        self.outbox = tmp_path / "outbox"
        self.started: list[Process] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"NEWSDESK_TEST_CRASH_AT", "DATABASE_URL"}
        }
        env.update(
            DATABASE_URL=self.database.url,
            NEWSDESK_BROKER_URL=self.broker.url,
            NEWSDESK_CELERY_QUEUE=self.broker.queue,
            NEWSDESK_FETCH_ALLOW_NETWORKS="127.0.0.1/32",
            # Every sample outlet lives on 127.0.0.1, one host to the per-host rules: at
            # the default second apart its 45 pages would take most of a test's time.
            # (The rules themselves are tested in test_host_politeness.py.)
            NEWSDESK_FETCH_HOST_SPACING="0.05",
            NEWSDESK_EMAIL_BACKEND="newsdesk.digests.outbox.OutboxBackend",
            NEWSDESK_OUTBOX_DIR=str(self.outbox),
            NEWSDESK_DATA_DIR=str(self.tmp_path / "var"),
            DJANGO_SETTINGS_MODULE="newsdesk.settings",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def start(self, name: str, args: list[str], ready: str, **env: str) -> Process:
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "newsdesk", *args],
                cwd=ROOT,
                env=self.env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        process = Process(name, popen, log)
        self.started.append(process)
        wait_for(lambda: ready in process.output(), 60, f"{name} to start", self)
        return process

    def worker(self, name: str, *, pool: str = "solo", queue: str = "", **env: str) -> Process:
        queue = queue or self.broker.queue
        self.broker.queues.add(queue)
        args = ["worker", f"--pool={pool}", "-Q", queue, "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
        if pool == "prefork":
            args.append("--concurrency=2")
        # No mingle/gossip/heartbeat: start in a second, no chatter between test workers.
        args += ["--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "info"]
        return self.start(name, args, "ready.", **env)

    def beat(self, name: str, every: float) -> Process:
        schedule = self.tmp_path / f"{name}-schedule"
        args = ["beat", "-s", str(schedule), "--pidfile=", "-l", "info"]
        return self.start(name, args, "beat: Starting", NEWSDESK_BEAT_SECONDS=str(every))

    def logs(self) -> str:
        return "\n".join(
            f"----- {p.name} (exit {p.popen.poll()}) -----\n{p.output()[-4000:]}"
            for p in self.started
        )

    def stop(self) -> None:
        for process in self.started:
            process.kill(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.started:
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill(signal.SIGKILL)
                process.popen.wait(5)

    def wait_for(self, done: Callable[[], bool], seconds: float, what: str) -> None:
        wait_for(done, seconds, what, self)

    def emails(self) -> Counter[str]:
        """Recipient address -> messages written to the outbox."""
        found: Counter[str] = Counter()
        for path in self.outbox.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email_policy.default)
            found[email.utils.parseaddr(str(message["To"]))[1]] += 1
        return found


@pytest.fixture
def processes(tmp_path: Path, database: Database, broker: Broker) -> Iterator[Processes]:
    running = Processes(tmp_path, database, broker)
    try:
        yield running
    finally:
        running.stop()


def wait_for(
    done: Callable[[], bool], seconds: float, what: str, processes: Processes | None = None
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    logs = processes.logs() if processes is not None else ""
    pytest.fail(f"timed out after {seconds:g} s waiting for {what}\n{logs}", pytrace=False)
