import datetime as dt

from django.utils import timezone

from newsdesk.jobs import JobCommand
from newsdesk.sources.crawl import claim_due_source, crawl_source

# Long enough for one fetch's total deadline; the crawl sets the real next time.
CLAIM_LEASE = dt.timedelta(minutes=10)


class Command(JobCommand):
    help = "Fetch due feeds, sitemaps and section pages and record the items they list."

    def step(self) -> bool:
        now = timezone.now()
        source = claim_due_source(now, CLAIM_LEASE)
        if source is None:
            return False
        result = crawl_source(source, now)
        status = "ok" if result.ok else "error"
        self.stdout.write(f"{status:5} {source.url}: {result.message}")
        return True
