"""Case-insensitive "contains" for every letter, on SQLite too.

PostgreSQL's ``icontains`` (UPPER … LIKE UPPER …) folds any letter; SQLite's LIKE folds
ASCII only, so "ZOË" would not find "Zoë Ünal" there. Each new SQLite connection gets a
deterministic SQL function that case-folds with Python's rules (``register``, connected
in ApiConfig.ready), and the match compares folded text. Like LIKE '%…%', it reads every
candidate row.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections, models
from django.db.models import CharField, F, Func
from django.db.models.lookups import Contains

FOLD = "NEWSDESK_CASEFOLD"
Row = TypeVar("Row", bound=models.Model)


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: give SQLite connections the folding function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FOLD, 1, _fold, deterministic=True)


def contains_folded(rows: models.QuerySet[Row], field: str, text: str) -> models.QuerySet[Row]:
    """``rows`` whose ``field`` contains ``text``, ignoring the case of any letter."""
    if connections[rows.db].vendor != "sqlite":
        return rows.filter(**{f"{field}__icontains": text})
    folded = Func(F(field), function=FOLD, output_field=CharField())
    return rows.filter(Contains(folded, text.casefold()))
