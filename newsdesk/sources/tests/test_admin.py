"""The editors' admin for outlets, sources and items; "Fetch now" against a local feed."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.sources import crawl
from newsdesk.sources.admin import FETCH_NOW_LIMIT
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.tests.servers import RSS, FeedBuilder, Site

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:sources_source_changelist"


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "x"))
    return client


def make_sources(count: int) -> list[Source]:
    outlets = [Outlet.objects.create(name=f"Outlet {n}", slug=f"outlet-{n}") for n in range(3)]
    later = timezone.now() + dt.timedelta(hours=1)
    return [
        Source.objects.create(
            outlet=outlets[n % 3],
            url=f"https://outlet{n}.example/feed.xml",
            status=Source.Status.ERROR if n % 2 else Source.Status.OK,
            last_error="Could not fetch it: connection refused" if n % 2 else "",
            last_fetched_at=timezone.now(),
            next_fetch_at=later,
            page_error_count=n,
        )
        for n in range(count)
    ]


def fetch_now(client: Client, sources: list[Source]) -> Any:
    data = {"action": "fetch_now", "_selected_action": [source.pk for source in sources]}
    return client.post(reverse(CHANGELIST), data, follow=True)


def shown_messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_it_lists_sources_with_their_health_in_bounded_queries(
    staff: Client, django_assert_max_num_queries: Any
) -> None:
    make_sources(30)
    with django_assert_max_num_queries(8):
        page = staff.get(reverse(CHANGELIST))
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("Could not fetch it: connection refused") == 15
    assert "in 59 min" in text or "in 1 h" in text or "in 60 min" in text
    for column in ["Status", "Last error", "Next attempt", "Page error count", "Last fetched"]:
        assert column.lower() in text.lower()
    failing = staff.get(reverse(CHANGELIST), {"status__exact": "error"})
    assert failing.context["cl"].result_count == 15
    found = staff.get(reverse(CHANGELIST), {"q": "outlet7"})
    assert found.context["cl"].result_count == 1


def test_it_shows_a_sources_latest_items_read_only(staff: Client) -> None:
    (source,) = make_sources(1)
    SourceItem.objects.create(source=source, guid="a", url="https://x.example/a", title="<b>A</b>")
    SourceItem.objects.create(source=source, guid="b", url="javascript:alert(1)", title="Bad")
    page = staff.get(reverse("admin:sources_source_change", args=[source.pk]))
    text = page.content.decode()
    assert "&lt;b&gt;A&lt;/b&gt;" in text  # titles from the web are escaped
    assert 'href="https://x.example/a"' in text and 'href="javascript:' not in text
    assert f"?source__id__exact={source.pk}" in text
    items = staff.get(
        reverse("admin:sources_sourceitem_changelist"), {"source__id__exact": source.pk}
    )
    assert items.status_code == 200 and items.context["cl"].result_count == 2
    assert staff.get(reverse("admin:sources_sourceitem_add")).status_code == 403
    outlets = staff.get(reverse("admin:sources_outlet_changelist"))
    assert outlets.status_code == 200 and b"Outlet 0" in outlets.content


def test_it_fetches_now_and_records_each_outcome(staff: Client, site: Site, settings: Any) -> None:
    settings.NEWSDESK_FETCH_ALLOW_NETWORKS = ["127.0.0.1/32"]
    site.route("/feed.xml", 200, FeedBuilder(site.url()).build(), content_type=RSS)
    outlet = Outlet.objects.create(name="Local", slug="local")
    later = timezone.now() + dt.timedelta(days=1)
    good = Source.objects.create(outlet=outlet, url=site.url("/feed.xml"), next_fetch_at=later)
    broken = Source.objects.create(outlet=outlet, url=site.url("/gone.xml"), next_fetch_at=later)

    response = fetch_now(staff, [good, broken])
    assert response.status_code == 200
    said = shown_messages(response)
    assert f"{good.url}: fetched, 3 new items." in said
    assert any(m.startswith(f"{broken.url}: ") and "404" in m for m in said), said

    good.refresh_from_db()
    broken.refresh_from_db()
    assert good.status == Source.Status.OK and good.last_fetched_at is not None
    assert good.title == "Test Feed"
    assert SourceItem.objects.filter(source=good).count() == 3
    assert broken.status == Source.Status.ERROR and "404" in broken.last_error
    assert broken.error_count == 1 and broken.next_fetch_at < later
    assert len(site.requests_to("/feed.xml")) == 1

    # Fetched again, the feed is the same: nothing new, and said so.
    again = shown_messages(fetch_now(staff, [good]))
    assert again == ["Test Feed: fetched, 0 new items."]  # named by its feed title now


def test_it_reports_a_crash_instead_of_raising(staff: Client) -> None:
    (source,) = make_sources(1)
    with mock.patch.object(crawl, "crawl_source", side_effect=RuntimeError("boom")):
        response = fetch_now(staff, [source])
    assert response.status_code == 200
    assert shown_messages(response) == [f"{source}: the fetch failed unexpectedly (boom)."]


def test_it_leaves_sources_beyond_the_limit_to_the_fetcher(staff: Client) -> None:
    sources = make_sources(FETCH_NOW_LIMIT + 2)
    ok = crawl.CrawlResult(0, True, 0, "not modified")
    before = timezone.now()
    with mock.patch.object(crawl, "crawl_source", return_value=ok) as crawled:
        response = fetch_now(staff, sources)
    assert crawled.call_count == FETCH_NOW_LIMIT
    assert "2 more sources are due now" in " ".join(shown_messages(response))
    due = Source.objects.filter(next_fetch_at__lte=timezone.now(), next_fetch_at__gte=before)
    assert set(due.values_list("pk", flat=True)) == {s.pk for s in sources[FETCH_NOW_LIMIT:]}
