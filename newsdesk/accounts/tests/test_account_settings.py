"""The settings page: digest settings, followed topics, CSRF and form errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.models import Reader
from newsdesk.digests.tests.helpers import make_reader, make_topic
from newsdesk.topics.models import Follow, Topic

pytestmark = pytest.mark.django_db
PASSWORD = "plum-harbour-lantern-42"


def account(email: str = "ann@example.com", topics: int = 2) -> tuple[User, Reader]:
    user = User.objects.create_user(email, email, PASSWORD)
    shared = [topic_named(f"Topic {n}") for n in range(topics)]
    reader = make_reader(email, topics=shared)
    reader.user = user
    reader.save(update_fields=["user"])
    return user, reader


def topic_named(name: str) -> Topic:
    return Topic.objects.filter(name=name).first() or make_topic(name)


def logged_in(user: User, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


def test_it_needs_a_login() -> None:
    for name in ["settings", "for-you", "delete", "password-change"]:
        response = Client().get(reverse(f"accounts:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_it_enforces_csrf_on_the_settings_form() -> None:
    user, reader = account()
    client = logged_in(user, enforce_csrf_checks=True)
    data = {"time_zone": "Asia/Tokyo", "digest_hour": "8", "weekly_day": "2"}
    forged = client.post(reverse("accounts:settings"), data)
    assert forged.status_code == 403
    reader.refresh_from_db()
    assert reader.time_zone == "UTC"

    page = client.get(reverse("accounts:settings"))
    token = page.cookies["csrftoken"].value
    saved = client.post(reverse("accounts:settings"), {**data, "csrfmiddlewaretoken": token})
    assert saved.status_code == 302
    reader.refresh_from_db()
    assert reader.time_zone == "Asia/Tokyo" and reader.digest_time == dt.time(8, 0)


def test_it_shows_errors_for_an_unknown_time_zone_and_hour() -> None:
    user, reader = account()
    response = logged_in(user).post(
        reverse("accounts:settings"), {"time_zone": "Mars/Olympus", "digest_hour": "25"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert text.count("Select a valid choice.") >= 2
    assert 'aria-invalid="true"' in text
    reader.refresh_from_db()
    assert reader.time_zone == "UTC"


def test_it_lists_every_iana_zone_and_keeps_minutes_an_operator_set() -> None:
    user, reader = account()
    reader.digest_time = dt.time(7, 30)
    reader.save(update_fields=["digest_time"])
    client = logged_in(user)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert '<option value="America/Argentina/Buenos_Aires"' in page
    assert '<option value="7" selected>07:00</option>' in page
    client.post(
        reverse("accounts:settings"),
        {"time_zone": "UTC", "digest_hour": "7", "weekly_day": "0", "paused": ""},
    )
    reader.refresh_from_db()
    assert reader.digest_time == dt.time(7, 30)


def test_it_changes_how_a_topic_arrives_and_unfollows() -> None:
    user, reader = account()
    first, second = Follow.objects.filter(reader=reader).order_by("topic__name")
    client = logged_in(user)
    url = reverse("accounts:follow-update", args=[first.pk])
    saved = client.post(
        url, {f"follow-{first.pk}-weekly": "on", f"follow-{first.pk}-instant": "on"}
    )
    assert saved.status_code == 302
    first.refresh_from_db()
    assert (first.daily, first.weekly, first.instant) == (False, True, True)

    none_chosen = client.post(url, {"action": "save"})
    assert none_chosen.status_code == 400
    assert b"Choose at least one way to hear about this topic" in none_chosen.content
    first.refresh_from_db()
    assert first.weekly

    client.post(reverse("accounts:follow-update", args=[second.pk]), {"action": "unfollow"})
    assert list(Follow.objects.filter(reader=reader)) == [first]
    assert b"You no longer follow Topic 1." in client.get(reverse("accounts:settings")).content


def test_it_keeps_other_readers_follows_out_of_reach() -> None:
    user, _ = account()
    _, other = account("bo@example.com", topics=1)
    theirs = Follow.objects.get(reader=other)
    response = logged_in(user).post(
        reverse("accounts:follow-update", args=[theirs.pk]), {"action": "unfollow"}
    )
    assert response.status_code == 404
    assert Follow.objects.filter(pk=theirs.pk).exists()


def test_it_offers_resubscribing_after_an_unsubscribe() -> None:
    user, reader = account()
    reader.unsubscribed_at = dt.datetime(2030, 1, 2, tzinfo=dt.UTC)
    reader.save(update_fields=["unsubscribed_at"])
    client = logged_in(user)
    assert b"You unsubscribed from all emails on 02 January 2030" in (
        client.get(reverse("accounts:settings")).content
    )
    client.post(
        reverse("accounts:settings"),
        {"time_zone": "UTC", "digest_hour": "7", "weekly_day": "0", "resubscribe": "on"},
    )
    reader.refresh_from_db()
    assert reader.unsubscribed_at is None and reader.receives_email


def test_it_reads_the_settings_page_in_a_bounded_number_of_queries(
    django_assert_max_num_queries: object,
) -> None:
    user, _ = account(topics=12)
    client = logged_in(user)
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        page = client.get(reverse("accounts:settings"))
    assert page.content.decode().count("Unfollow Topic") == 12


def test_it_tells_a_staff_account_without_a_reader_what_it_can_do() -> None:
    staff = User.objects.create_user("editor", "editor@example.com", PASSWORD, is_staff=True)
    page = logged_in(staff).get(reverse("accounts:settings"))
    assert page.status_code == 200
    assert b"This account has no reader profile" in page.content
    assert b"Download my data" in page.content
