from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from newsdesk.accounts.models import Reader

pytestmark = pytest.mark.django_db


def patch(client: Client, body: Any) -> Any:
    return client.patch("/api/me", body, content_type="application/json")


def test_it_shows_the_readers_settings(authed: Client) -> None:
    response = authed.get("/api/me")
    assert response.json() == {
        "email": "ann@example.com",
        "name": "Ann",
        "time_zone": "Europe/Berlin",
        "digest_time": "07:00",
        "receives_email": False,
    }
    assert response["Cache-Control"] == "private, no-store"
    assert "Authorization" in response["Vary"]


def test_it_changes_time_zone_and_digest_time(authed: Client, reader: Reader) -> None:
    response = patch(authed, {"time_zone": "America/New_York", "digest_time": "06:30"})
    assert response.status_code == 200
    assert response.json()["time_zone"] == "America/New_York"
    reader.refresh_from_db()
    assert reader.time_zone == "America/New_York"
    assert reader.digest_time == dt.time(6, 30)


def test_it_changes_only_the_fields_given(authed: Client, reader: Reader) -> None:
    assert patch(authed, {"digest_time": "08:15"}).status_code == 200
    reader.refresh_from_db()
    assert reader.time_zone == "Europe/Berlin" and reader.digest_time == dt.time(8, 15)
    assert patch(authed, {}).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": None}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"digest_time": "25:00"}, "digest_time"),
        ({"digest_time": "07:00:30"}, "digest_time"),
        ({"digest_time": "07:00+02:00"}, "digest_time"),
        ({"digest_time": "7:00"}, "digest_time"),
        ({"digest_time": None}, "digest_time"),
        ({"digest_time": "morning"}, "digest_time"),
        ({"email": "mallory@example.com"}, "email"),
    ],
)
def test_it_refuses_invalid_settings(
    authed: Client, reader: Reader, body: dict[str, Any], field: str
) -> None:
    response = patch(authed, body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(error["loc"][-1] == field for error in errors), errors
    reader.refresh_from_db()
    assert (reader.email, reader.time_zone) == ("ann@example.com", "Europe/Berlin")
    assert reader.digest_time == dt.time(7, 0)


def test_it_refuses_a_body_that_is_not_json(authed: Client) -> None:
    response = authed.patch("/api/me", "time_zone=UTC", content_type="application/json")
    assert response.status_code in {400, 422}
    assert response.json()["detail"]


def test_it_refuses_changes_without_a_token(client: Client, reader: Reader) -> None:
    assert patch(client, {"time_zone": "UTC"}).status_code == 401
    reader.refresh_from_db()
    assert reader.time_zone == "Europe/Berlin"
