from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from newsdesk.api import throttle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limit(settings: Any) -> None:
    settings.NEWSDESK_API_RATE_LIMIT = 3
    settings.NEWSDESK_API_RATE_WINDOW = 60


def test_it_allows_the_limit_then_answers_429_with_retry_after(client: Client) -> None:
    for _ in range(3):
        assert client.get("/api/topics").status_code == 200
    response = client.get("/api/articles")
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many requests."}
    assert 1 <= int(response["Retry-After"]) <= 60


def test_it_limits_the_author_list_like_every_other_list(client: Client) -> None:
    for _ in range(3):
        assert client.get("/api/authors?q=ann&sort=recent").status_code == 200
    response = client.get("/api/authors")
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many requests."}
    assert 1 <= int(response["Retry-After"]) <= 60
    # Refused before its parameters are read: a bad one is not a way around the limit.
    assert client.get("/api/authors?limit=0").status_code == 429


def test_it_counts_each_client_address_apart(client: Client) -> None:
    for _ in range(3):
        client.get("/api/topics", REMOTE_ADDR="192.0.2.1")
    assert client.get("/api/topics", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get("/api/topics", REMOTE_ADDR="192.0.2.2").status_code == 200
    # A forged X-Forwarded-For does not buy a fresh allowance.
    forged = client.get("/api/topics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.status_code == 429


def test_it_counts_by_token_on_the_readers_endpoints(
    client: Client, authed: Client, token: str
) -> None:
    for _ in range(3):
        assert client.get("/api/topics").status_code == 200
    # The same address, but a token: its own allowance.
    for _ in range(3):
        assert authed.get("/api/me").status_code == 200
    response = authed.get("/api/me/follows")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_it_starts_a_new_allowance_in_the_next_window(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.NEWSDESK_API_RATE_WINDOW = 10
    now = 1_000_000.0
    monkeypatch.setattr(throttle, "clock", lambda: now)
    for _ in range(3):
        client.get("/api/topics")
    refused = client.get("/api/topics")
    assert refused.status_code == 429 and refused["Retry-After"] == "10"
    now += 10
    assert client.get("/api/topics").status_code == 200


def test_it_reads_its_limit_from_settings(settings: Any) -> None:
    del settings.NEWSDESK_API_RATE_LIMIT
    del settings.NEWSDESK_API_RATE_WINDOW
    assert throttle.rate() == (throttle.DEFAULT_RATE, throttle.DEFAULT_WINDOW)
