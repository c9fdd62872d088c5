"""The shape of every long-running job: a step that does one unit of work.

A job command implements ``step() -> bool`` (True when it did something). Without
``--loop`` it runs steps until there is no work left and exits, which is what the demo and
tests use; with ``--loop`` it keeps going, sleeping when idle, and stops cleanly between
steps on SIGTERM or SIGINT.
"""

from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand


class JobCommand(BaseCommand):
    idle_seconds = 5.0

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, sleep when idle")
        parser.add_argument(
            "--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)"
        )

    def step(self) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        """Load what every step needs once, before the first step."""

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        if options["loop"]:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        self.prepare()
        steps = 0
        limit = options["max_steps"]
        while not self.stopping and (not limit or steps < limit):
            did_work = self.step()
            steps += int(did_work)
            if not did_work:
                if not options["loop"]:
                    break
                self._sleep(self.idle_seconds)
        self.finish(steps)

    def finish(self, steps: int) -> None:
        self.stdout.write(f"{self.__module__.rsplit('.', 1)[-1]}: {steps} steps")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.2)
