"""Every fetch and parse fault of RELIABILITY.md that concerns a source, crawled for real.

Each test runs one scheduler step over the faulty source and a healthy one on another
host, then checks what the faulty source shows (status, plain-words error, next try)
and that the healthy one still got its items.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.lib.http import FetchPolicy, HttpClient
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.scheduler import Scheduler
from newsdesk.sources.tests.servers import ALLOWED, RSS, FeedBuilder, Handler, Site
from newsdesk.topics.models import Follow, TopicArticle
from newsdesk.web.tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def crawl(scheduler: Scheduler, bad: Source, healthy: Source) -> Source:
    """One step over both sources; the healthy one must come out fine every time."""
    results = scheduler.step()
    assert {r.source_id for r in results} == {bad.pk, healthy.pk}
    healthy.refresh_from_db()
    assert healthy.status == Source.Status.OK, healthy.last_error
    assert SourceItem.objects.filter(source=healthy).count() == 3
    bad.refresh_from_db()
    return bad


def make_due(*sources: Source) -> None:
    Source.objects.filter(pk__in=[s.pk for s in sources]).update(next_fetch_at=timezone.now())


def assert_backed_off(source: Source, errors: int, low: dt.timedelta, high: dt.timedelta) -> None:
    now = timezone.now()
    assert source.status == Source.Status.ERROR
    assert source.error_count == errors
    assert now + low - MINUTE <= source.next_fetch_at <= now + high


@pytest.fixture
def bad(outlet: Outlet, site: Site) -> Source:
    return Source.objects.create(outlet=outlet, url=site.url("/feed.xml"))


def drip(handler: Handler) -> None:
    """Headers at once, then a byte every 0.1 s: no read ever times out on its own."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(100000):
        handler.wfile.write(b"<")
        handler.wfile.flush()
        time.sleep(0.1)


ERRORS = {
    "not found": (404, b"gone?", "text/html", "HTTP 404: there is nothing at this address"),
    "server error": (500, b"oops", "text/html", "HTTP 500: the server had an internal error"),
    "html as feed": (
        200,
        b"<!doctype html><html><head><title>Home</title></head><body>Hi</body></html>",
        "text/html; charset=utf-8",
        "Could not read it: this is an HTML page, not a feed",
    ),
    "empty 200": (200, b"", RSS, "Could not read it: the response was empty"),
    "not a feed at all": (200, b"%PDF-1.4 \x00\x01", "application/octet-stream", "Could not read"),
    "body over cap": (200, b"<rss>" + b" " * (2 * 1024 * 1024), RSS, "too large"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_it_records_an_error_and_backs_off(
    case: str, scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    status, body, content_type, words = ERRORS[case]
    site.route("/feed.xml", status, body, content_type=content_type)
    bad = crawl(scheduler, bad, healthy)
    assert words in bad.last_error
    assert_backed_off(bad, 1, 4 * MINUTE, 6 * MINUTE)

    make_due(bad, healthy)
    bad = crawl(scheduler, bad, healthy)
    assert_backed_off(bad, 2, 8 * MINUTE, 12 * MINUTE)  # doubled, with jitter


def test_it_ends_a_dripping_server_at_the_deadline(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.routes["/feed.xml"] = drip
    started = time.monotonic()
    bad = crawl(scheduler, bad, healthy)
    assert time.monotonic() - started < 5
    assert bad.last_error.startswith("Could not fetch it: timed out")
    assert_backed_off(bad, 1, 4 * MINUTE, 6 * MINUTE)


def test_it_keeps_validators_on_304_and_stores_a_changed_etag(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    body = FeedBuilder(site.url(), count=2).build()

    def feed(handler: Handler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            # Same body, new ETag: the server rotated it.
            handler.answer(304, ETag='"v2"')
        elif handler.headers.get("If-None-Match") == '"v2"':
            handler.answer(304)  # validators omitted: the ones we hold stay
        else:
            handler.answer(
                200, body, RSS, ETag='"v1"', Last_Modified="Sat, 14 Mar 2026 06:00:00 GMT"
            )

    site.routes["/feed.xml"] = feed
    bad = crawl(scheduler, bad, healthy)
    assert (bad.status, bad.etag) == (Source.Status.OK, '"v1"')
    assert SourceItem.objects.filter(source=bad).count() == 2

    for expected in ('"v2"', '"v2"'):
        make_due(bad, healthy)
        bad = crawl(scheduler, bad, healthy)
        assert bad.status == Source.Status.OK
        assert bad.etag == expected
        assert bad.last_modified == "Sat, 14 Mar 2026 06:00:00 GMT"
        assert bad.next_fetch_at > timezone.now()
    sent = site.requests_to("/feed.xml")
    assert [r.headers.get("if-none-match") for r in sent] == [None, '"v1"', '"v2"']
    assert sent[1].headers["if-modified-since"] == "Sat, 14 Mar 2026 06:00:00 GMT"
    assert SourceItem.objects.filter(source=bad).count() == 2


@pytest.mark.parametrize("status", [429, 503])
def test_it_honours_retry_after(
    status: int, scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.route("/feed.xml", status, b"slow down", Retry_After="7200")
    bad = crawl(scheduler, bad, healthy)
    assert f"HTTP {status}" in bad.last_error
    assert_backed_off(bad, 1, dt.timedelta(hours=2), dt.timedelta(hours=2, minutes=1))


def test_it_honours_retry_after_as_a_date(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    when = timezone.now() + dt.timedelta(hours=3)
    site.route("/feed.xml", 503, b"later", Retry_After=when.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    bad = crawl(scheduler, bad, healthy)
    assert abs(bad.next_fetch_at - when) < MINUTE


def test_it_marks_a_410_source_gone_and_stops_polling_it(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.route("/feed.xml", 410, b"gone")
    bad = crawl(scheduler, bad, healthy)
    assert bad.status == Source.Status.GONE
    assert "gone for good (HTTP 410)" in bad.last_error
    make_due(bad, healthy)
    assert [r.source_id for r in scheduler.step()] == [healthy.pk]


def test_it_reads_a_malformed_feed_as_far_as_possible(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    body = FeedBuilder(site.url(), count=2).build().replace(b"</channel></rss>", b"<item><ti")
    site.route("/feed.xml", 200, body, content_type=RSS)
    bad = crawl(scheduler, bad, healthy)
    assert bad.status == Source.Status.OK
    assert bad.last_error.startswith("Read with problems: the feed is not well-formed XML")
    assert SourceItem.objects.filter(source=bad).count() == 2


def test_it_cuts_a_huge_feed_without_falling_over(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    item = "<item><title>t{n}</title><link>http://127.0.0.1/news/2026/a-story-{n}</link></item>"
    body = FeedBuilder(site.url(), count=0).build()
    huge = body.replace(b"</channel>", "".join(item.format(n=n) for n in range(100_000)).encode())
    huge += b"</channel>"
    site.route("/feed.xml", 200, huge, content_type=RSS)
    # The shared test policy caps bodies at 1 MiB; this feed is about 9 MB.
    roomy = FetchPolicy(allow_networks=ALLOWED, max_bytes=32 * 1024 * 1024)
    with HttpClient(roomy) as client, Scheduler(scheduler.config, client=client) as big:
        started = time.monotonic()
        bad = crawl(big, bad, healthy)
    assert time.monotonic() - started < 30
    assert bad.status == Source.Status.OK
    assert "more than 5000 entries; only the first 5000 were read" in bad.last_error
    assert SourceItem.objects.filter(source=bad).count() == 5000


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
 <!ENTITY remote SYSTEM "REMOTE/evil.dtd">
]>
<rss version="2.0"><channel><title>Laughs &f;</title>
<item><title>Item &f; &xxe; &remote;</title><link>http://127.0.0.1/news/2026/laughing-matter</link>
<guid>laugh-1</guid></item></channel></rss>"""


def test_it_leaves_xml_entity_attacks_inert(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.route(
        "/feed.xml", 200, BILLION_LAUGHS.replace(b"REMOTE", site.url("").encode()), content_type=RSS
    )
    bad = crawl(scheduler, bad, healthy)
    stored = " ".join(SourceItem.objects.filter(source=bad).values_list("title", flat=True))
    assert "root:" not in stored and "aaaaaaaaaa" not in stored and "aaaaaaaaaa" not in bad.title
    assert site.requests_to("/evil.dtd") == []
    assert bad.status in (Source.Status.OK, Source.Status.ERROR)
    assert bad.next_fetch_at > timezone.now()


def test_it_refuses_a_redirect_to_a_private_address(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.route("/feed.xml", 302, b"", Location=f"http://127.0.0.9:{site.port}/feed.xml")
    bad = crawl(scheduler, bad, healthy)
    assert bad.last_error == "Refused for safety: 127.0.0.9 is a loopback address"
    assert_backed_off(bad, 1, 4 * MINUTE, 6 * MINUTE)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://127.0.0.1/", "data:,x"]
)
def test_it_refuses_other_schemes(
    url: str, scheduler: Scheduler, outlet: Outlet, healthy: Source
) -> None:
    bad = Source.objects.create(outlet=outlet, url=url)
    bad = crawl(scheduler, bad, healthy)
    assert bad.last_error.startswith("Refused for safety: only http and https URLs are fetched")
    assert_backed_off(bad, 1, 4 * MINUTE, 6 * MINUTE)


def test_it_uses_the_feed_ttl_as_a_lower_bound(
    scheduler: Scheduler, site: Site, bad: Source, healthy: Source
) -> None:
    site.route("/feed.xml", 200, FeedBuilder(site.url(), ttl=180).build(), content_type=RSS)
    bad = crawl(scheduler, bad, healthy)
    assert bad.interval_seconds >= 180 * 60
    assert bad.next_fetch_at >= timezone.now() + dt.timedelta(minutes=179)


def test_it_tells_the_publisher_how_many_readers_it_serves(
    scheduler: Scheduler, site: Site, healthy_site: Site, bad: Source, healthy: Source
) -> None:
    site.route("/feed.xml", 200, FeedBuilder(site.url()).build(), content_type=RSS)
    article = make_article(outlet=bad.outlet)
    SourceItem.objects.create(source=bad, guid="old", url=article.url, article=article)
    topic = make_topic()
    TopicArticle.objects.create(topic=topic, article=article)
    for n in range(2):
        Follow.objects.create(reader=Reader.objects.create(email=f"r{n}@example.org"), topic=topic)
    crawl(scheduler, bad, healthy)
    agent = site.requests_to("/feed.xml")[0].headers["user-agent"]
    assert agent.startswith("Newsdesk/") and agent.endswith("; 2 subscribers)")
    healthy_agent = healthy_site.requests_to("/feed.xml")[0].headers["user-agent"]
    assert healthy_agent.endswith("; 0 subscribers)")
