from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from newsdesk.sample.catalog import Catalog, load_catalog
from newsdesk.sample.server import SampleSites

# A fixed clock keeps every date in the assertions reproducible.
NOW = datetime(2026, 3, 14, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def sites() -> Iterator[SampleSites]:
    with SampleSites(now=NOW) as running:
        yield running
