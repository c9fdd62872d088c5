from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from newsdesk.accounts.models import Reader
from newsdesk.api import tokens


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    # Rate-limit counters live in the cache; every test starts with none used.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader(db: None) -> Reader:
    return Reader.objects.create(email="ann@example.com", name="Ann", time_zone="Europe/Berlin")


@pytest.fixture
def outsider(db: None) -> Reader:
    return Reader.objects.create(email="bob@example.com", name="Bob")


@pytest.fixture
def token(reader: Reader) -> str:
    return tokens.issue(reader, "tests")[1]


@pytest.fixture
def authed(token: str) -> Client:
    """A client that sends Ann's token with every request."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")
