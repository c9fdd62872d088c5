"""``newsdesk indexarticles``: give stored articles their near-duplicate band keys.

New articles are indexed as they are stored; this backfills articles stored before the
index existed (oldest first, a batch per step), so later copies of them are found.
Existing duplicate_of links are left as they are.
"""

from __future__ import annotations

from newsdesk.articles.identity import index_article
from newsdesk.articles.models import Article
from newsdesk.jobs import JobCommand

BATCH = 200


class Command(JobCommand):
    help = "Index stored articles that have no near-duplicate band keys yet."
    # Walks forward by id: an article whose text has no words gets no keys and must not
    # be picked again.
    after_id = 0

    def step(self) -> bool:
        batch = list(
            Article.objects.filter(bands__isnull=True, id__gt=self.after_id)
            .order_by("id")
            .only("id", "text")[:BATCH]
        )
        for article in batch:
            index_article(article)
            self.after_id = article.pk
        return bool(batch)
