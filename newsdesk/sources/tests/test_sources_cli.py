"""``newsdesk sources``: add with autodiscovery, list, and the OPML round trip."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from newsdesk.sources.models import Outlet, Source
from newsdesk.sources.tests.servers import ALLOWED, RSS, FeedBuilder, Site

pytestmark = pytest.mark.django_db

HOME = b"""<!doctype html><html><head><title>The Harbour Gazette</title>
<link rel="alternate" type="application/rss+xml" title="Gazette news" href="/news.rss">
</head><body><a href="/news/2026/harbour-budget-passes">Harbour budget passes</a></body></html>"""
BARE = b"<!doctype html><html><head><title>Bare</title></head><body>Hi</body></html>"
SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>/news/2026/a-story-here</loc></url></urlset>"""


@pytest.fixture(autouse=True)
def local_fetching() -> Iterator[None]:
    with override_settings(NEWSDESK_FETCH_ALLOW_NETWORKS=list(ALLOWED)):
        yield


@pytest.fixture
def gazette(site: Site) -> Site:
    site.route("/", 200, HOME, content_type="text/html")
    site.route("/news.rss", 200, FeedBuilder(site.url(), "Gazette news").build(), content_type=RSS)
    site.route("/robots.txt", 200, f"Sitemap: {site.url('/news-sitemap.xml')}\n".encode())
    site.route("/news-sitemap.xml", 200, SITEMAP, content_type="application/xml")
    return site


def sources(*args: str, stdin: io.StringIO | None = None) -> str:
    out = io.StringIO()
    call_command("sources", *args, stdout=out, stderr=io.StringIO(), stdin=stdin or io.StringIO())
    return out.getvalue()


def test_it_adds_a_feed_url_directly(gazette: Site) -> None:
    out = sources("add", gazette.url("/news.rss"))
    source = Source.objects.get()
    assert out.startswith(f"Added: {gazette.url('/news.rss')}")
    assert (source.kind, source.title) == ("feed", "Gazette news")
    assert source.outlet.home_url == gazette.url("/")


def test_it_lists_what_a_site_offers_and_stops_without_a_choice(gazette: Site) -> None:
    with pytest.raises(CommandError, match="choose one with --pick N"):
        sources("add", gazette.url("/"))
    assert Source.objects.count() == 0


def test_it_adds_the_picked_candidate(gazette: Site) -> None:
    out = sources("add", gazette.url("/"), "--pick", "2", "--outlet", "Harbour Gazette")
    assert '1. RSS / Atom / JSON Feed "Gazette news"' in out
    assert f"2. News sitemap: {gazette.url('/news-sitemap.xml')} (listed in robots.txt)" in out
    assert f'3. HTML section page "The Harbour Gazette": {gazette.url("/")}' in out
    source = Source.objects.get()
    assert (source.kind, source.outlet.name) == ("sitemap", "Harbour Gazette")


def test_it_asks_on_a_terminal(gazette: Site) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = sources("add", gazette.url("/"), stdin=Terminal("3\n"))
    assert "Which one (1-3)?" in out
    source = Source.objects.get()
    assert source.kind == "html"


def test_it_narrows_candidates_by_kind_and_keeps_link_patterns(gazette: Site) -> None:
    sources("add", gazette.url("/"), "--kind", "html", "--include", "/news/", "--exclude", "live")
    source = Source.objects.get()
    assert (source.kind, source.include_patterns, source.exclude_patterns) == (
        "html",
        ["/news/"],
        ["live"],
    )


def test_it_probes_usual_feed_paths_when_nothing_is_advertised(site: Site) -> None:
    site.route("/", 200, BARE, content_type="text/html")
    site.route("/feed.xml", 200, FeedBuilder(site.url()).build(), content_type=RSS)
    out = sources("add", site.url("/"), "--pick", "1")
    assert "(a usual path)" in out
    assert Source.objects.get().url == site.url("/feed.xml")


def test_it_reports_an_already_followed_url(gazette: Site) -> None:
    sources("add", gazette.url("/news.rss"))
    again = gazette.url("/news.rss?utm_source=newsletter")
    assert sources("add", again).startswith("Already followed:")
    assert Source.objects.count() == 1


def test_it_explains_a_url_it_cannot_use(site: Site) -> None:
    with pytest.raises(CommandError, match="HTTP 404: there is nothing at this address"):
        sources("add", site.url("/nothing"))
    with pytest.raises(CommandError, match="Refused for safety: only http and https"):
        sources("add", "file:///etc/passwd")
    with pytest.raises(CommandError, match="Refused for safety: 10.0.0.1 is a private"):
        sources("add", "http://10.0.0.1/feed")


def test_it_lists_sources_with_their_health(gazette: Site) -> None:
    sources("add", gazette.url("/news.rss"))
    Source.objects.update(
        status="error", last_error="HTTP 500: the server had an internal error", error_count=2
    )
    text = sources("list")
    assert "Failing (2 failures in a row)" in text
    assert "problem: HTTP 500: the server had an internal error" in text
    assert "next try: now" in text
    row = json.loads(sources("list", "--json"))[0]
    assert row["status"] == "error" and row["interval_seconds"] == 3600


def test_it_round_trips_opml_with_a_report(tmp_path: Path, gazette: Site) -> None:
    sources("add", gazette.url("/news.rss"), "--outlet", "Harbour Gazette")
    exported = tmp_path / "out.opml"
    sources("export", str(exported))
    assert b"Harbour Gazette" in exported.read_bytes()

    incoming = tmp_path / "in.opml"
    incoming.write_bytes(
        exported.read_bytes().replace(
            b"</body>",
            b'<outline type="rss" text="Other" xmlUrl="https://other.example/feed.xml"/>'
            b'<outline type="rss" text="Bad" xmlUrl="http://192.168.1.1/feed"/>'
            b'<outline type="rss" text="Odd" xmlUrl="http://user@evil.example/feed"/></body>',
        )
    )
    report = sources("import", str(incoming))
    assert report.splitlines()[0] == "Added 1, skipped 1 (already followed), failed 2, left out 0."
    assert "added    https://other.example/feed.xml" in report
    assert f"skipped  {gazette.url('/news.rss')} (already followed)" in report
    assert "failed   http://192.168.1.1/feed: 192.168.1.1 is a private network address" in report
    assert "failed   http://user@evil.example/feed: URLs with a user name" in report
    assert set(Source.objects.values_list("url", flat=True)) == {
        gazette.url("/news.rss"),
        "https://other.example/feed.xml",
    }
    assert Outlet.objects.get(sources__url="https://other.example/feed.xml").name == "other.example"


def test_it_exports_and_imports_sitemaps_and_section_pages(tmp_path: Path, gazette: Site) -> None:
    sources("add", gazette.url("/"), "--pick", "2", "--outlet", "Harbour Gazette")
    sources(
        "add",
        gazette.url("/"),
        "--kind",
        "html",
        "--outlet",
        "Harbour Gazette",
        "--include",
        "/news/",
    )
    before = {
        (s.url, s.kind, s.outlet.name, tuple(s.include_patterns)) for s in Source.objects.all()
    }
    exported = tmp_path / "backup.opml"
    err = io.StringIO()
    call_command("sources", "export", str(exported), stdout=io.StringIO(), stderr=err)
    assert "Exported 0 feeds and 2 sitemaps or section pages" in err.getvalue()

    Source.objects.all().delete()
    Outlet.objects.all().delete()
    report = sources("import", str(exported))

    assert report.splitlines()[0] == "Added 2, skipped 0 (already followed), failed 0, left out 0."
    assert f"added    {gazette.url('/news-sitemap.xml')}" in report
    after = {
        (s.url, s.kind, s.outlet.name, tuple(s.include_patterns)) for s in Source.objects.all()
    }
    assert after == before
    assert {kind for _, kind, _, _ in after} == {"sitemap", "html"}


def test_it_refuses_a_file_that_is_not_opml(tmp_path: Path) -> None:
    path = tmp_path / "x.opml"
    path.write_bytes(b"<html><body>no</body></html>")
    with pytest.raises(CommandError, match="is not a usable OPML file"):
        sources("import", str(path))


def test_it_refuses_a_discovered_address_too_long_to_store(site: Site) -> None:
    # A page may advertise any link; a Source.url over its column fails on PostgreSQL.
    long_feed = "/feeds/" + "f" * 2100 + ".rss"
    page = f'<html><head><link rel="alternate" type="application/rss+xml" href="{long_feed}">'
    site.route(
        "/", 200, (page + "</head><body>Hi</body></html>").encode(), content_type="text/html"
    )
    with pytest.raises(CommandError, match="the address is longer than 2000 characters"):
        sources("add", site.url("/"), "--kind", "feed", "--pick", "1")
    assert Source.objects.count() == 0
