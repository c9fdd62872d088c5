"""``fetchsources [--loop]``: crawl due feeds, sitemaps and section pages.

A step is one batch of due sources, run by the scheduler (sources/scheduler.py) on a
small thread pool under the per-host limits.
"""

from __future__ import annotations

from newsdesk.jobs import JobCommand
from newsdesk.sources.scheduler import Scheduler


class Command(JobCommand):
    help = "Fetch due feeds, sitemaps and section pages and record the items they list."

    scheduler: Scheduler | None = None

    def step(self) -> bool:
        if self.scheduler is None:
            self.scheduler = Scheduler()
        did_work = False
        for result in self.scheduler.crawl_due():
            did_work = True
            status = "ok" if result.ok else "error"
            url = result.url or f"source {result.source_id}"
            self.stdout.write(f"{status:5} {url}: {result.message}")
        return did_work

    def finish(self, steps: int) -> None:
        if self.scheduler is not None:
            self.scheduler.close()
            self.scheduler = None
        super().finish(steps)
