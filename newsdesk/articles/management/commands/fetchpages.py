from newsdesk.articles.ingest import claim_pending_item, process_item
from newsdesk.jobs import JobCommand


class Command(JobCommand):
    help = "Fetch the pages of pending source items and store them as articles."

    def step(self) -> bool:
        item = claim_pending_item()
        if item is None:
            return False
        result = process_item(item)
        if result.message:
            self.stdout.write(f"{result.state:7} {item.url}: {result.message}")
        return True
