"""robots.txt for article pages: honoured before a page is fetched, cached per site."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.utils import timezone

from newsdesk.articles.ingest import claim_pending_item, process_item
from newsdesk.sources import robots
from newsdesk.sources.models import Outlet, RobotsFile, Source, SourceItem
from newsdesk.sources.tests.servers import POLICY, Site

pytestmark = pytest.mark.django_db

SENTENCES = (
    "The council voted on the harbour budget late on Tuesday after a long debate. "
    "Members argued about dredging costs, the ferry timetable and the new fish market. "
    "The mayor said the plan would pay for itself within a decade if trade kept growing. "
)
PAGE = (
    '<!doctype html><html lang="en"><head><title>Harbour budget passes</title>'
    '<meta property="og:type" content="article"></head><body><article>'
    "<h1>Harbour budget passes</h1>"
    + "".join(f"<p>{SENTENCES} Paragraph {n}.</p>" for n in range(12))
    + "</article></body></html>"
).encode()


def items(source: Source, site: Site, *paths: str) -> list[SourceItem]:
    return [
        SourceItem.objects.create(source=source, guid=path, url=site.url(path)) for path in paths
    ]


def test_it_skips_disallowed_pages_and_shows_why(outlet: Outlet, site: Site) -> None:
    site.route("/robots.txt", 200, b"User-agent: *\nDisallow: /private/\n")
    site.route("/private/story-one", 200, PAGE, content_type="text/html")
    site.route("/news/story-two", 200, PAGE, content_type="text/html")
    source = Source.objects.create(outlet=outlet, url=site.url("/feed.xml"))
    blocked, allowed = items(source, site, "/private/story-one", "/news/story-two")

    assert process_item(blocked, policy=POLICY).state == SourceItem.State.SKIPPED
    assert process_item(allowed, policy=POLICY).state == SourceItem.State.DONE

    blocked.refresh_from_db()
    source.refresh_from_db()
    assert blocked.error == "robots.txt disallows this page"
    assert source.last_page_error.startswith("Not stored as an article (robots.txt disallows")
    assert site.requests_to("/private/story-one") == []
    assert len(site.requests_to("/robots.txt")) == 1  # cached for the second page


def test_it_follows_rules_for_its_own_name(site: Site) -> None:
    site.route("/robots.txt", 200, b"User-agent: Newsdesk\nDisallow: /\n\nUser-agent: *\nAllow: /")
    assert not robots.is_allowed(site.url("/a"), policy=POLICY)
    assert robots.is_allowed(site.url("/a"), "SomeoneElse", policy=POLICY)


def test_it_allows_everything_when_robots_txt_is_missing(site: Site) -> None:
    assert robots.is_allowed(site.url("/anything"), policy=POLICY)
    row = RobotsFile.objects.get()
    assert (row.origin, row.status) == (f"http://127.0.0.1:{site.port}", 404)


def test_it_disallows_for_now_when_robots_txt_fails_and_retries_later(
    outlet: Outlet, site: Site
) -> None:
    site.route("/robots.txt", 503, b"down")
    site.route("/news/story", 200, PAGE, content_type="text/html")
    source = Source.objects.create(outlet=outlet, url=site.url("/feed.xml"))
    (item,) = items(source, site, "/news/story")

    claimed = claim_pending_item()
    assert claimed is not None
    result = process_item(claimed, policy=POLICY)
    assert result.state == SourceItem.State.PENDING
    item.refresh_from_db()
    assert "could not be read (HTTP 503)" in item.error
    assert item.attempts == 0 and item.retry_at is not None
    assert item.retry_at > timezone.now() + dt.timedelta(minutes=50)
    assert claim_pending_item() is None  # not hammered: waits for the retry time

    # An hour later the file is asked for again; now it is fine.
    site.route("/robots.txt", 200, b"User-agent: *\nAllow: /\n")
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    SourceItem.objects.filter(pk=item.pk).update(retry_at=timezone.now())
    claimed = claim_pending_item()
    assert claimed is not None
    assert process_item(claimed, now=later, policy=POLICY).state == SourceItem.State.DONE
    assert len(site.requests_to("/robots.txt")) == 2


def test_it_treats_an_unreachable_site_as_disallowed(db: None) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.3", 0))
        port = probe.getsockname()[1]
    verdict = robots.check(f"http://127.0.0.3:{port}/story", policy=POLICY)
    assert not verdict.allowed
    assert "could not be read" in verdict.reason


@pytest.mark.parametrize(
    "content_type", ["text/plain; charset=no-such-charset", "text/plain; charset=base64"]
)
def test_it_reads_robots_txt_as_utf8_when_its_charset_is_unknown(
    site: Site, content_type: str
) -> None:
    site.route(
        "/robots.txt", 200, b"User-agent: *\nDisallow: /private/\n", content_type=content_type
    )
    assert not robots.is_allowed(site.url("/private/a"), policy=POLICY)
    assert robots.is_allowed(site.url("/news/a"), policy=POLICY)


def test_it_drops_nul_characters_from_robots_txt_before_storing_it(site: Site) -> None:
    # PostgreSQL refuses NUL in text: storing it would fail every page of the site.
    site.route("/robots.txt", 200, b"User-agent: *\x00\nDisallow: /private/\x00\n")
    assert not robots.is_allowed(site.url("/private/a"), policy=POLICY)
    assert "\x00" not in RobotsFile.objects.get().body
