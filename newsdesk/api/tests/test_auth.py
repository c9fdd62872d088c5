from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.api import tokens
from newsdesk.api.models import ApiToken

pytestmark = pytest.mark.django_db


def assert_unauthorized(client: Client, **headers: str) -> None:
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Send a valid API token: Authorization: Bearer <token>."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_a_request_without_a_token(client: Client, token: str) -> None:
    assert_unauthorized(client)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nd_not-a-real-token",
        "Bearer ",
        "Bearer " + "x" * 5000,
        "Basic YW5uOnNlY3JldA==",
        "Token {token}",
        "{token}",
    ],
)
def test_it_refuses_an_invalid_token(client: Client, token: str, header: str) -> None:
    assert_unauthorized(client, Authorization=header.format(token=token))


def test_it_accepts_a_valid_token(authed: Client, reader: Reader) -> None:
    response = authed.get("/api/me")
    assert response.status_code == 200
    assert response.json()["email"] == "ann@example.com"


def test_it_accepts_the_scheme_in_any_case(client: Client, token: str) -> None:
    assert client.get("/api/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_it_stores_only_a_hash_of_the_token(reader: Reader) -> None:
    row, token = tokens.issue(reader, "script")
    assert token.startswith(tokens.PREFIX) and len(token) > 40
    stored = ApiToken.objects.values().get(pk=row.pk)
    assert token not in {str(value) for value in stored.values()}
    assert stored["key_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert tokens.issue(reader)[1] != token


def test_it_records_when_a_token_was_last_used(authed: Client, token: str) -> None:
    row = ApiToken.objects.get()
    assert row.last_used is None
    authed.get("/api/me")
    row.refresh_from_db()
    assert row.last_used is not None
    first = row.last_used
    authed.get("/api/me")
    row.refresh_from_db()
    assert row.last_used == first  # not rewritten on every request
    ApiToken.objects.update(last_used=timezone.now() - dt.timedelta(hours=1))
    authed.get("/api/me")
    row.refresh_from_db()
    assert timezone.now() - row.last_used < dt.timedelta(minutes=1)


def test_it_refuses_a_revoked_token(authed: Client) -> None:
    ApiToken.objects.all().delete()
    assert_unauthorized(authed)


def test_it_shows_each_reader_only_their_own_account(
    client: Client, reader: Reader, outsider: Reader, token: str
) -> None:
    other = tokens.issue(outsider)[1]
    mine = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    theirs = client.get("/api/me", headers={"Authorization": f"Bearer {other}"}).json()
    assert mine["email"] == "ann@example.com"
    assert theirs["email"] == "bob@example.com"


def test_it_needs_no_token_for_public_endpoints(client: Client) -> None:
    for url in ["/api/articles", "/api/topics", "/api/outlets", "/api/openapi.json"]:
        assert client.get(url).status_code == 200, url
