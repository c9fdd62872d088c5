"""Claim one row of work among many concurrent workers.

Every job claims its work with a conditional update on the row (``claim(row)`` returns
True when its UPDATE changed exactly that row), which is correct on any database: two
workers that pick the same candidate both try, and only one UPDATE matches. It is only
contended: N workers read the same first few candidates and all but one lose each race.

On PostgreSQL the candidate is picked with ``SELECT … FOR NO KEY UPDATE SKIP LOCKED``
inside a short transaction, so each worker reads a row no other worker is claiming at that
moment and N workers claim N different rows at once. The lock lasts only for the claim;
the claim's UPDATE (a lease, a counter) is what keeps other workers away afterwards.
SQLite has a single writer and no row locks: there the plain candidate window is used.

Used by ``sources.crawl.claim_due_source`` and ``articles.ingest.claim_pending_item``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connections, models, transaction

Row = TypeVar("Row", bound=models.Model)

# Candidates read per claim where rows cannot be skipped while locked (SQLite).
WINDOW = 10


def skips_locked_rows(using: str) -> bool:
    features = connections[using].features
    return bool(features.has_select_for_update_skip_locked)


def claim_first(
    candidates: models.QuerySet[Row], claim: Callable[[Row], bool], window: int = WINDOW
) -> Row | None:
    """The first of ``candidates`` (an ordered queryset of due rows) that ``claim`` takes.

    ``claim`` must be a conditional update that returns True only when it changed the row.
    """
    using = candidates.db
    if not skips_locked_rows(using):
        for candidate in candidates[:window]:
            if claim(candidate):
                return candidate
        return None
    no_key = bool(connections[using].features.has_select_for_no_key_update)
    # One row at a time: the rows other workers are claiming right now are skipped, not
    # waited for. NO KEY: rows that reference this one (a source's new items) may still
    # be inserted while it is locked.
    locked = candidates.select_for_update(skip_locked=True, no_key=no_key)
    for _ in range(window):
        with transaction.atomic(using=using):
            row = locked.all().first()  # a fresh query each time, never a cached result
            if row is None:
                return None
            if claim(row):
                return row
        # Lost anyway (changed between the read and the UPDATE): try the next one.
    return None
