"""Learn an outlet's boilerplate from its other pages.

Every stored article's page is cut into text blocks (``extract.block_fingerprints``) and
each block's fingerprint is counted once per distinct article of the outlet. A block
that appeared on ``MIN_ARTICLES`` or more of them (the same sign-up box, bio or promise
on every page) is boilerplate, and the extractor drops it from the outlet's next pages.

The table is bounded: each outlet keeps at most ``MAX_BLOCKS_PER_OUTLET`` rows, and a
block seen on only one article is forgotten after ``FORGET_SINGLES_AFTER`` (a paragraph
of one story never comes back; a sign-up box does within days).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from newsdesk.articles.extract import block_fingerprints
from newsdesk.articles.models import SiteBlock
from newsdesk.sources.models import Outlet

MIN_ARTICLES = 3
MAX_BLOCKS_PER_OUTLET = 5000
FORGET_SINGLES_AFTER = dt.timedelta(days=30)
# Learning runs for every new article; pruning only every this many articles' worth of
# new rows (the count query is cheap, the delete is not).
PRUNE_SLACK = 500


def learned(outlet: Outlet | None) -> frozenset[str]:
    """The outlet's boilerplate fingerprints, for ``extract(..., boilerplate=)``."""
    if outlet is None:
        return frozenset()
    return frozenset(
        SiteBlock.objects.filter(outlet=outlet, article_count__gte=MIN_ARTICLES).values_list(
            "fingerprint", flat=True
        )
    )


def learn_from_page(outlet: Outlet, html: bytes | str, url: str, now: dt.datetime) -> int:
    """Count this page's blocks for its outlet; call once per distinct article.

    Returns how many fingerprints were counted. Safe with concurrent workers: rows are
    created with ignore_conflicts, then incremented in the database.
    """
    fingerprints = sorted(block_fingerprints(html, url))
    if not fingerprints:
        return 0
    with transaction.atomic():
        SiteBlock.objects.bulk_create(
            [
                SiteBlock(outlet=outlet, fingerprint=fp, article_count=0, first_seen=now)
                for fp in fingerprints
            ],
            ignore_conflicts=True,
        )
        SiteBlock.objects.filter(outlet=outlet, fingerprint__in=fingerprints).update(
            article_count=F("article_count") + 1, last_seen=now
        )
    if SiteBlock.objects.filter(outlet=outlet).count() > MAX_BLOCKS_PER_OUTLET + PRUNE_SLACK:
        prune(outlet, now)
    return len(fingerprints)


def prune(outlet: Outlet, now: dt.datetime) -> int:
    """Forget old single-article blocks, then the least seen beyond the cap."""
    deleted, _ = SiteBlock.objects.filter(
        outlet=outlet, article_count__lte=1, last_seen__lt=now - FORGET_SINGLES_AFTER
    ).delete()
    excess = list(
        SiteBlock.objects.filter(outlet=outlet)
        .order_by("-article_count", "-last_seen", "-id")
        .values_list("id", flat=True)[MAX_BLOCKS_PER_OUTLET:]
    )
    if excess:
        deleted += SiteBlock.objects.filter(pk__in=excess).delete()[0]
    return deleted
