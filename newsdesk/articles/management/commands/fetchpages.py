from newsdesk.articles.extract.language import warm_up
from newsdesk.articles.ingest import claim_pending_item, process_item
from newsdesk.jobs import JobCommand
from newsdesk.sources.politeness import Politeness, politeness_from_settings


class Command(JobCommand):
    help = "Fetch the pages of pending source items and store them as articles."

    def prepare(self) -> None:
        # The language model costs ~0.8 CPU-s to load: pay it at start, not on a page.
        warm_up()
        # The per-host rules feeds obey too; shared by every process with a Redis cache.
        self.politeness: Politeness = politeness_from_settings()

    def step(self) -> bool:
        item = claim_pending_item()
        if item is None:
            return False
        result = process_item(item, politeness=self.politeness)
        if result.message:
            self.stdout.write(f"{result.state:7} {item.url}: {result.message}")
        return True
