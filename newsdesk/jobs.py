"""The shape of every long-running job: a step that does one unit of work.

A job command implements ``step() -> bool`` (True when it did something). Without
``--loop`` it runs steps until there is no work left and exits, which is what the demo and
tests use; with ``--loop`` it keeps going, sleeping when idle, and stops cleanly between
steps on SIGTERM or SIGINT.

A looping job outlives a database outage (PostgreSQL restarting, a network blip, a
SQLite file locked for longer than its timeout): a step that fails because the database
is unavailable is retried after a wait that doubles from one second to a minute (with
jitter, so a fleet of workers does not reconnect in step), on a fresh connection. The log
gets one line when the outage starts and one when the database answers again. The
step's rows stay as the failed step left them: every step claims its rows with a
conditional update and a lease, so an interrupted unit of work is taken up again when its
lease ends. Without ``--loop`` the error propagates: a one-shot run fails loudly.

Any other exception ends a looping job too, with its traceback, as it always has: a step
already catches what one bad page, feed or message can throw, so what reaches here is a
bug or a broken setup, which retrying forever would hide. The supervisor restarts the
process (``Restart=always`` in deploy/systemd) and the leases hand back its work.
"""

from __future__ import annotations

import contextlib
import logging
import random
import signal
import sqlite3
import time
from argparse import ArgumentParser
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import Error, InterfaceError, OperationalError, connections

log = logging.getLogger(__name__)

# What a lost or refused database connection raises through Django; database_unavailable
# tells those apart from the other OperationalErrors (a bad query, a missing table).
DATABASE_ERRORS = (OperationalError, InterfaceError)
# PostgreSQL errors that mean "not now": class 08 (connection exception), the server
# shutting down or crashing (57P01, 57P02), starting up (57P03), out of connections (53300).
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_NO_SQLSTATE = object()


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (worth retrying later),
    rather than that a query was wrong."""
    if isinstance(exc, InterfaceError):
        return True  # the connection was already closed under us
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", _NO_SQLSTATE)
    if sqlstate is not _NO_SQLSTATE:  # psycopg: no SQLSTATE means no server answer at all
        state = str(sqlstate or "")
        return not state or state.startswith("08") or state in UNAVAILABLE_SQLSTATES
    if isinstance(cause, sqlite3.OperationalError):
        message = str(cause).lower()
        return "locked" in message or "busy" in message
    return True  # another driver: DB-API says OperationalError is the server's trouble


def close_connections() -> None:
    """Drop this thread's database connections: the next query opens a fresh one."""
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(Error):  # already broken: dropping it is the point
            connection.close()


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


class DatabaseRetry:
    """One process's view of a database outage: when it began, how long to wait before
    the next try (``first`` seconds doubling up to ``cap``, each shortened by up to
    ``jitter`` of itself at random), and one log line at each end of it."""

    def __init__(
        self,
        job: str,
        first: float = 1.0,
        cap: float = 60.0,
        jitter: float = 0.25,
        rand: Callable[[], float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job = job
        self.first, self.cap, self.jitter = first, cap, jitter
        self.rand, self.clock = rand, clock
        self.failures = 0
        self.down_since: float | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, exc: BaseException) -> float:
        """Note a failed try; return how many seconds to wait before the next."""
        close_connections()
        if self.down_since is None:
            self.down_since = self.clock()
            log.error(
                "%s: database unavailable (%s); retrying with backoff up to %g s",
                self.job,
                one_line(exc),
                self.cap,
            )
        else:
            log.debug("%s: database still unavailable (%s)", self.job, one_line(exc))
        delay = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        draw = self.rand() if self.rand is not None else random.random()
        return delay * (1 - self.jitter * draw)

    def succeeded(self) -> None:
        """Note a try that reached the database; logs the recovery once."""
        if self.down_since is None:
            return
        log.warning(
            "%s: database available again after %.1f s (%d failed tries)",
            self.job,
            self.clock() - self.down_since,
            self.failures,
        )
        self.down_since = None
        self.failures = 0


class JobCommand(BaseCommand):
    idle_seconds = 5.0
    # Backoff while the database is unavailable (see DatabaseRetry).
    retry_first_seconds = 1.0
    retry_cap_seconds = 60.0

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, sleep when idle")
        parser.add_argument(
            "--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)"
        )

    def step(self) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        """Load what every step needs once, before the first step."""

    @property
    def job_name(self) -> str:
        return self.__module__.rsplit(".", 1)[-1]

    def database_retry(self) -> DatabaseRetry:
        return DatabaseRetry(self.job_name, self.retry_first_seconds, self.retry_cap_seconds)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        if options["loop"]:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        self.prepare()
        retry = self.database_retry()
        steps = 0
        limit = options["max_steps"]
        while not self.stopping and (not limit or steps < limit):
            try:
                did_work = self.step()
            except DATABASE_ERRORS as exc:
                if not options["loop"] or not database_unavailable(exc):
                    raise
                self._sleep(retry.failed(exc))
                continue
            retry.succeeded()
            steps += int(did_work)
            if not did_work:
                if not options["loop"]:
                    break
                self._sleep(self.idle_seconds)
        self.finish(steps)

    def finish(self, steps: int) -> None:
        self.stdout.write(f"{self.job_name}: {steps} steps")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
