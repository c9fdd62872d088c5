"""The real Redis for tests of the shared politeness backend (NEWSDESK_TEST_REDIS_URL).

Unreachable, it is a skip with the reason, except under CI=true, where it is a failure:
these tests must not vanish from CI unnoticed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from newsdesk.sources.politeness import redis_client

REDIS_URL = os.environ.get("NEWSDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_problem() -> str | None:
    try:
        redis_client(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001 - any failure is the reason shown
        return f"{type(exc).__name__}: {exc}"
    return None


def fresh_prefix() -> Iterator[str]:
    """For a fixture: a key prefix of the test's own in the real Redis, removed after."""
    problem = redis_problem()
    if problem is not None:
        where = f"Redis at {REDIS_URL} is not reachable ({problem})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{where}: the shared politeness tests need it in CI", pytrace=False)
        pytest.skip(where)
    name = f"newsdesk-test-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        client = redis_client(REDIS_URL)
        keys = list(client.scan_iter(match=f"{name}:*"))
        if keys:
            client.delete(*keys)
