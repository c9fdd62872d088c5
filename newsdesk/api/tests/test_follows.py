from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from newsdesk.accounts.models import Consent, Reader
from newsdesk.api import tokens
from newsdesk.topics.models import Follow
from newsdesk.web.tests.factories import make_topic

pytestmark = pytest.mark.django_db


def post(client: Client, body: Any) -> Any:
    return client.post("/api/me/follows", body, content_type="application/json")


def test_it_lists_only_the_readers_own_follows(
    authed: Client, reader: Reader, outsider: Reader
) -> None:
    politics, markets = make_topic("Politics", slug="politics"), make_topic(slug="markets")
    Follow.objects.create(reader=reader, topic=politics, weekly=True)
    Follow.objects.create(reader=outsider, topic=markets)
    response = authed.get("/api/me/follows")
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["topic"] == {"slug": "politics", "name": "Politics", "kind": "section"}
    assert (item["daily"], item["weekly"], item["instant"]) == (True, True, False)


def test_it_follows_a_topic_with_the_chosen_deliveries(authed: Client, reader: Reader) -> None:
    make_topic(slug="politics")
    response = post(authed, {"topic": "politics", "daily": False, "instant": True})
    assert response.status_code == 201
    assert response.json()["topic"]["slug"] == "politics"
    follow = Follow.objects.get(reader=reader)
    assert (follow.daily, follow.weekly, follow.instant) == (False, False, True)
    consent = Consent.objects.get(reader=reader)
    assert consent.confirmed_at is not None and consent.instant and not consent.daily
    assert "API" in consent.text_shown


def test_it_changes_an_existing_follow(authed: Client, reader: Reader) -> None:
    topic = make_topic(slug="politics")
    Follow.objects.create(reader=reader, topic=topic)
    response = post(authed, {"topic": "politics", "weekly": True})
    assert response.status_code == 200
    assert response.json()["weekly"] is True
    assert Follow.objects.filter(reader=reader).count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"topic": "nope"}, 404),
        ({}, 422),
        ({"topic": "politics", "daily": "often"}, 422),
        ({"topic": "politics", "reader": 2}, 422),
        ({"topic": "politics", "daily": False, "weekly": False, "instant": False}, 422),
    ],
)
def test_it_refuses_a_bad_follow(authed: Client, body: Any, status: int) -> None:
    make_topic(slug="politics")
    response = post(authed, body)
    assert response.status_code == status
    assert response.json()["detail"]
    assert not Follow.objects.exists()
    assert not Consent.objects.exists()


def test_it_unfollows_a_topic(authed: Client, reader: Reader) -> None:
    topic = make_topic(slug="politics")
    Follow.objects.create(reader=reader, topic=topic)
    response = authed.delete("/api/me/follows/politics")
    assert response.status_code == 204
    assert not Follow.objects.exists()
    assert authed.delete("/api/me/follows/politics").json() == {"detail": "Not Found"}


def test_it_cannot_reach_another_readers_follows(
    authed: Client, reader: Reader, outsider: Reader
) -> None:
    topic = make_topic(slug="politics")
    Follow.objects.create(reader=outsider, topic=topic, instant=True)
    assert authed.delete("/api/me/follows/politics").status_code == 404
    assert post(authed, {"topic": "politics", "instant": False}).status_code == 201
    theirs = Follow.objects.get(reader=outsider)
    assert theirs.instant is True
    assert Follow.objects.filter(reader=reader).count() == 1


def test_it_needs_a_token_to_follow(client: Client, reader: Reader) -> None:
    make_topic(slug="politics")
    assert post(client, {"topic": "politics"}).status_code == 401
    assert client.get("/api/me/follows").status_code == 401
    assert client.delete("/api/me/follows/politics").status_code == 401
    assert not Follow.objects.exists()


def test_it_needs_no_csrf_token_with_a_bearer_token(reader: Reader) -> None:
    make_topic(slug="politics")
    token = tokens.issue(reader)[1]
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert post(client, {"topic": "politics"}).status_code == 201


def test_it_reads_follows_in_a_fixed_number_of_queries(
    authed: Client, reader: Reader, django_assert_max_num_queries: Any
) -> None:
    for _ in range(15):
        Follow.objects.create(reader=reader, topic=make_topic())
    authed.get("/api/me")  # last_used written; later requests within a minute do not
    # token + reader, follows with topics, count
    with django_assert_max_num_queries(3):
        assert len(authed.get("/api/me/follows").json()["items"]) == 15


def test_it_refuses_a_topic_slug_with_a_nul_character(authed: Client, reader: Reader) -> None:
    make_topic(slug="politics")
    response = post(authed, {"topic": "poli\u0000tics"})
    assert response.status_code == 422
    assert "control characters" in response.json()["detail"][0]["msg"]
    assert not Follow.objects.filter(reader=reader).exists()


@pytest.mark.parametrize(
    "raw", ["{not json", "[" * 100_000 + "]" * 100_000], ids=["malformed", "nested-too-deep"]
)
def test_a_body_that_is_no_json_is_a_client_error_not_a_crash(authed: Client, raw: str) -> None:
    make_topic(slug="politics")
    response = authed.post("/api/me/follows", raw, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["detail"]
    assert not Follow.objects.exists()


def test_it_keeps_a_follow_when_asked_to_change_it_to_no_deliveries(
    authed: Client, reader: Reader
) -> None:
    topic = make_topic(slug="politics")
    Follow.objects.create(reader=reader, topic=topic, daily=True)
    response = post(authed, {"topic": "politics", "daily": False})
    assert response.status_code == 422
    assert "unfollow" in str(response.json()["detail"])
    assert Follow.objects.get(reader=reader).daily is True
