"""Suite-wide pytest options.

``--db-only`` keeps the tests that touch the database: the PostgreSQL run repeats those and
skips pure-Python tests that already ran once on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

DB_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db-only", action="store_true", help="run only tests using the database")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--db-only"):
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (kept if uses_db else dropped).append(item)
    items[:] = kept
    config.hook.pytest_deselected(items=dropped)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: cached fragments, rate-limit counters and
    sign-up throttles must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
