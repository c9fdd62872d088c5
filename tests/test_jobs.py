"""Job commands (newsdesk/jobs.py) outlive a database outage when looping.

The steps here are fakes that raise what Django raises when PostgreSQL goes away; the
real outage, through a TCP proxy cut under a running worker, is in
tests/scaleout/test_database_outage.py.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import psycopg.errors
import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError

from newsdesk import jobs
from newsdesk.digests.management.commands import senddigests
from newsdesk.jobs import DatabaseRetry, JobCommand, database_unavailable

WORK, IDLE, DOWN = "work", "idle", "down"


def connection_lost() -> OperationalError:
    """What Django raises when the server closed the connection (psycopg, no SQLSTATE)."""
    try:
        try:
            raise psycopg.OperationalError(
                "consuming input failed: server closed the connection unexpectedly\n"
                "\tThis probably means the server terminated abnormally"
            )
        except psycopg.Error as cause:
            raise OperationalError(*cause.args) from cause
    except OperationalError as wrapped:
        return wrapped


def wrapped(cause: Exception) -> OperationalError:
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


class ScriptedJob(JobCommand):
    """Each step plays the next outcome of its script; waits are recorded, not slept,
    and have no jitter (the clock is the real one unless given)."""

    def __init__(
        self, script: list[str], real_sleep: bool = False, clock: Iterator[float] | None = None
    ) -> None:
        super().__init__()
        self.script = list(script)
        self.calls = 0
        self.waits: list[float] = []
        self.real_sleep = real_sleep
        self.clock = clock

    def database_retry(self) -> DatabaseRetry:
        clock = self.clock
        return DatabaseRetry(
            self.job_name,
            self.retry_first_seconds,
            self.retry_cap_seconds,
            rand=lambda: 0.0,
            clock=time.monotonic if clock is None else lambda: next(clock),
        )

    def step(self) -> bool:
        self.calls += 1
        outcome = self.script.pop(0) if self.script else IDLE
        if outcome == DOWN:
            raise connection_lost()
        if not self.script and outcome == IDLE:
            self.stopping = True  # the script is over: end the loop
        return outcome == WORK

    def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.real_sleep:
            super()._sleep(seconds)


@pytest.fixture(autouse=True)
def _signal_handlers() -> Iterator[None]:
    """A looping job installs SIGTERM/SIGINT handlers: give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "newsdesk.jobs" and record.levelno >= logging.INFO
    ]


def test_a_looping_job_backs_off_from_one_second_doubling_to_a_minute_then_carries_on() -> None:
    job = ScriptedJob([WORK, *[DOWN] * 9, WORK, IDLE])
    call_command(job, "--loop")
    # 1, 2, 4, ... capped at 60; then the idle sleep once the script is over.
    assert job.waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, JobCommand.idle_seconds]
    assert job.calls == 12  # every failed step was tried again; nothing skipped


def test_the_backoff_starts_again_at_one_second_for_the_next_outage() -> None:
    job = ScriptedJob([DOWN, DOWN, DOWN, WORK, DOWN, DOWN, WORK, IDLE])
    call_command(job, "--loop")
    assert job.waits == [1, 2, 4, 1, 2, JobCommand.idle_seconds]


def test_jitter_only_shortens_a_wait_and_by_at_most_a_quarter() -> None:
    draws = iter([0.0, 1.0, 0.5, 1.0])
    retry = DatabaseRetry("job", rand=lambda: next(draws))
    waits = [retry.failed(connection_lost()) for _ in range(4)]
    assert waits == [1.0, 1.5, 3.5, 6.0]


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = iter([100.0, 107.5, 200.0, 201.0])  # read at each outage's start and end
    job = ScriptedJob([WORK, *[DOWN] * 5, WORK, DOWN, IDLE], clock=clock)
    with caplog.at_level(logging.DEBUG, logger="newsdesk.jobs"):
        call_command(job, "--loop")
    assert outage_lines(caplog) == [
        (
            "ERROR",
            "test_jobs: database unavailable (OperationalError: consuming input failed: server"
            " closed the connection unexpectedly This probably means the server terminated"
            " abnormally); retrying with backoff up to 60 s",
        ),
        ("WARNING", "test_jobs: database available again after 7.5 s (5 failed tries)"),
        (
            "ERROR",
            "test_jobs: database unavailable (OperationalError: consuming input failed: server"
            " closed the connection unexpectedly This probably means the server terminated"
            " abnormally); retrying with backoff up to 60 s",
        ),
        ("WARNING", "test_jobs: database available again after 1.0 s (1 failed tries)"),
    ]
    # The retries in between are there for whoever turns DEBUG on, not in the normal log.
    still = [r for r in caplog.records if "still unavailable" in r.getMessage()]
    assert [r.levelname for r in still] == ["DEBUG"] * 4


def test_sigterm_during_the_backoff_ends_the_loop_at_once() -> None:
    job = ScriptedJob([DOWN] * 100, real_sleep=True)
    job.retry_first_seconds = 30.0
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    call_command(job, "--loop")
    assert time.monotonic() - started < 3
    assert job.calls == 1
    assert job.waits == [30.0]


def test_without_loop_a_database_error_fails_the_run_at_once() -> None:
    job = ScriptedJob([WORK, DOWN, WORK])
    with pytest.raises(OperationalError, match="server closed the connection"):
        call_command(job)
    assert job.calls == 2
    assert job.waits == []


@pytest.mark.parametrize(
    "error",
    [
        wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
        wrapped(sqlite3.OperationalError("no such table: sources_sourceitem")),
        IntegrityError("duplicate key value violates unique constraint"),
        RuntimeError("a bug in a step"),
    ],
    ids=["statement-timeout", "missing-table", "integrity", "bug"],
)
def test_a_looping_job_stops_on_any_other_error(error: Exception) -> None:
    class Broken(ScriptedJob):
        def step(self) -> bool:
            self.calls += 1
            raise error

    job = Broken([])
    with pytest.raises(type(error)):
        call_command(job, "--loop")
    assert job.calls == 1
    assert job.waits == []


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (connection_lost(), True),
        (wrapped(psycopg.OperationalError("connection failed: Connection refused")), True),
        (wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
        (wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")), True),
        (wrapped(psycopg.errors.ConnectionFailure("connection failure")), True),
        (wrapped(psycopg.errors.TooManyConnections("too many clients already")), True),
        (InterfaceError("connection already closed"), True),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (OperationalError("some other driver lost its server"), True),
        (wrapped(psycopg.errors.QueryCanceled("canceling statement")), False),
        (wrapped(psycopg.errors.DeadlockDetected("deadlock detected")), False),
        (wrapped(sqlite3.OperationalError("no such table: x")), False),
        (DatabaseError("something else"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_an_unreachable_database_counts_as_an_outage(error: Exception, retried: bool) -> None:
    assert database_unavailable(error) is retried


def test_a_failed_step_drops_every_connection_even_broken_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[str] = []

    class Connection:
        def __init__(self, alias: str, broken: bool) -> None:
            self.alias, self.broken = alias, broken

        def close(self) -> None:
            closed.append(self.alias)
            if self.broken:
                raise InterfaceError("connection already closed")

    class Connections:
        def all(self, initialized_only: bool = False) -> list[Connection]:
            assert initialized_only  # never open a connection just to close it
            return [Connection("default", broken=True), Connection("replica", broken=False)]

    monkeypatch.setattr(jobs, "connections", Connections())
    DatabaseRetry("job").failed(connection_lost())
    assert closed == ["default", "replica"]


def test_senddigests_loop_waits_out_an_outage_and_sends_after_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    results: list[object] = [connection_lost(), connection_lost(), 3, 0]
    calls: list[object] = []
    waits: list[float] = []

    def run_once(*args: Any, **kwargs: Any) -> int:
        outcome = results.pop(0)
        calls.append(outcome)
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, int)
        return outcome

    def sleep(self: Any, seconds: float) -> None:
        waits.append(seconds)
        if not results:
            self.stopping = True

    monkeypatch.setattr(senddigests, "run_once", run_once)
    monkeypatch.setattr(senddigests.Command, "_sleep", sleep)
    monkeypatch.setattr(
        senddigests, "DatabaseRetry", lambda job: DatabaseRetry(job, rand=lambda: 0)
    )
    with caplog.at_level(logging.INFO, logger="newsdesk.jobs"):
        call_command("senddigests", "--loop", "--idle-seconds", "9")
    assert len(calls) == 4
    assert waits == [1, 2, 9]
    assert [level for level, _ in outage_lines(caplog)] == ["ERROR", "WARNING"]


def test_senddigests_without_loop_fails_on_a_database_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def run_once(*args: Any, **kwargs: Any) -> int:
        raise connection_lost()

    monkeypatch.setattr(senddigests, "run_once", run_once)
    with pytest.raises(OperationalError):
        call_command("senddigests")
