"""Suite-wide pytest options.

``--db-only`` keeps the tests that touch the database: the PostgreSQL run repeats those and
skips pure-Python tests that already ran once on SQLite.
"""

from __future__ import annotations

import pytest

DB_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db-only", action="store_true", help="run only tests using the database")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--db-only"):
        return
    kept, dropped = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (kept if uses_db else dropped).append(item)
    items[:] = kept
    config.hook.pytest_deselected(items=dropped)
