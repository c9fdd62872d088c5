"""Generated requests (schemathesis, a bounded number per operation) against the OpenAPI
document, in process: no 500s, and every answer is one the document describes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from newsdesk.accounts.models import Reader
from newsdesk.api import tokens
from newsdesk.web.tests.factories import make_article, make_author, make_outlet, make_topic

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """The WSGI app closes database connections after each request, as a server should;
    here that would close the test's own transaction (PostgreSQL; SQLite's in-memory
    test database is never closed). Django's test client unhooks the same signals."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings: Any) -> str:
    settings.NEWSDESK_API_RATE_LIMIT = 1_000_000
    outlet = make_outlet(slug="herald")
    topic = make_topic(slug="politics")
    make_article("Budget vote", outlet=outlet, topics=[topic], authors=[make_author()])
    reader = Reader.objects.create(email="ann@example.com")
    return tokens.issue(reader)[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_it_keeps_to_its_openapi_document(case: Any, world: str) -> None:
    # A cursor is opaque and a search query a small language: a string the schema allows
    # may still be one we refuse (400, documented), so "valid data accepted" is not checked.
    # Our token replaces the generated one, except when the case is about a wrong header.
    wrong_header = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    headers = {} if wrong_header else {"Authorization": f"Bearer {world}"}
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
