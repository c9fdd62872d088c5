import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.web.tests.factories import make_article

pytestmark = pytest.mark.django_db

PUBLISHED = dt.datetime(2026, 7, 1, 6, 30, tzinfo=dt.UTC)


def test_it_shows_article_times_in_the_signed_in_readers_zone(client: Client) -> None:
    article = make_article("Summer rates", published_at=PUBLISHED)
    user = User.objects.create_user("ana", "ana@example.org", "pw-long-enough-1")
    Reader.objects.create(
        user=user, email="ana@example.org", time_zone="Europe/Berlin", confirmed_at=timezone.now()
    )
    client.force_login(user)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "1 July 2026, 08:30 CEST" in page


def test_it_shows_visitors_utc(client: Client) -> None:
    article = make_article("Summer rates", published_at=PUBLISHED)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "1 July 2026, 06:30 UTC" in page


def test_it_falls_back_to_utc_for_a_zone_it_cannot_load(client: Client) -> None:
    article = make_article("Summer rates", published_at=PUBLISHED)
    user = User.objects.create_user("bo", "bo@example.org", "pw-long-enough-1")
    Reader.objects.create(user=user, email="bo@example.org", time_zone="Mars/Olympus")
    client.force_login(user)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "06:30 UTC" in page
