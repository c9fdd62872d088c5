"""A sitemap index as a source, crawled for real: the newest few sitemaps it lists on its
own site are read and their articles stored; a sitemap that fails is named on the source
while the others' articles are kept."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import override_settings

from newsdesk.lib.http import HttpClient
from newsdesk.sources import crawl as crawl_module
from newsdesk.sources.crawl import crawl_source
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.sources.scheduler import Scheduler
from newsdesk.sources.sitemap_index import MAX_CHILD_SITEMAPS
from newsdesk.sources.tests.servers import ALLOWED, POLICY, Site
from newsdesk.sources.tests.test_crawl_faults import crawl, drip, make_due

pytestmark = pytest.mark.django_db

XML = "application/xml"
SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def index_of(*children: tuple[str, str | None]) -> bytes:
    """A sitemap index of (address, lastmod or None)."""
    entries = "".join(
        f"<sitemap><loc>{loc}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</sitemap>"
        for loc, lastmod in children
    )
    xml = f'<?xml version="1.0"?><sitemapindex xmlns="{SITEMAPS}">{entries}</sitemapindex>'
    return xml.encode()


def urlset_of(site: Site, *slugs: str, news: bool = False) -> bytes:
    """A sitemap of /news/2026/<slug> articles, with Google News titles when ``news``."""

    def entry(slug: str) -> str:
        block = (
            f"<news:news><news:publication><news:name>Test</news:name>"
            f"<news:language>en</news:language></news:publication>"
            f"<news:publication_date>2026-03-14T08:00:00Z</news:publication_date>"
            f"<news:title>Title of {slug}</news:title></news:news>"
        )
        return f"<url><loc>{site.url(f'/news/2026/{slug}')}</loc>{block if news else ''}</url>"

    body = "".join(entry(slug) for slug in slugs)
    return (
        f'<?xml version="1.0"?><urlset xmlns="{SITEMAPS}" xmlns:news="{NEWS}">{body}</urlset>'
    ).encode()


@pytest.fixture
def index_source(outlet: Outlet, site: Site) -> Source:
    return Source.objects.create(
        outlet=outlet, url=site.url("/sitemap.xml"), kind=Source.Kind.SITEMAP
    )


def stored(source: Source) -> dict[str, str]:
    return dict(SourceItem.objects.filter(source=source).values_list("url", "title"))


def test_it_reads_the_sitemaps_an_index_lists_and_stores_their_articles(
    scheduler: Scheduler, site: Site, index_source: Source, healthy: Source
) -> None:
    site.route(
        "/sitemap.xml",
        200,
        index_of((site.url("/news-1.xml"), None), (site.url("/news-2.xml"), None)),
        content_type=XML,
        ETag='"index-v1"',
    )
    # The same article in both: one item, with the title the second one gives.
    site.route("/news-1.xml", 200, urlset_of(site, "first", "shared"), content_type=XML)
    site.route("/news-2.xml", 200, urlset_of(site, "shared", "second", news=True), content_type=XML)
    source = crawl(scheduler, index_source, healthy)
    assert (source.status, source.last_error) == (Source.Status.OK, "")
    assert stored(source) == {
        site.url("/news/2026/first"): "",
        site.url("/news/2026/shared"): "Title of shared",
        site.url("/news/2026/second"): "Title of second",
    }
    shared = SourceItem.objects.get(url=site.url("/news/2026/shared"))
    assert shared.published_at is not None and shared.published_at.isoformat().startswith(
        "2026-03-14T08:00"
    )

    # Next poll: the sitemaps changed while the index did not. Its validators were not
    # kept, so it is read in full and the new article comes in.
    site.route("/news-1.xml", 200, urlset_of(site, "first", "third"), content_type=XML)
    make_due(source, healthy)
    source = crawl(scheduler, source, healthy)
    assert source.etag == ""
    assert site.url("/news/2026/third") in stored(source)
    assert len(stored(source)) == 4
    assert [r.headers.get("if-none-match") for r in site.requests_to("/sitemap.xml")] == [
        None,
        None,
    ]


def test_it_reads_only_the_newest_sitemaps_by_lastmod(
    scheduler: Scheduler, site: Site, index_source: Source, healthy: Source
) -> None:
    listed = [
        ("/undated-a.xml", None),
        ("/2026-01.xml", "2026-01-31"),
        ("/undated-b.xml", None),
        ("/2026-03.xml", "2026-03-31T10:00:00Z"),
        ("/2025-12.xml", "2025-12-31"),
    ]
    site.route(
        "/sitemap.xml", 200, index_of(*((site.url(p), d) for p, d in listed)), content_type=XML
    )
    for path, _ in listed:
        site.route(path, 200, urlset_of(site, path.strip("/.xml")), content_type=XML)
    source = crawl(scheduler, index_source, healthy)
    assert source.status == Source.Status.OK
    # Dated ones newest first, then the undated in document order; at most three.
    assert MAX_CHILD_SITEMAPS == 3
    read = [seen.path for seen in site.seen if seen.path != "/sitemap.xml"]
    assert read == ["/2026-03.xml", "/2026-01.xml", "/2025-12.xml"]
    assert set(stored(source)) == {
        site.url("/news/2026/2026-03"),
        site.url("/news/2026/2026-01"),
        site.url("/news/2026/2025-12"),
    }


def test_undated_sitemaps_come_after_the_dated_ones_in_document_order(
    scheduler: Scheduler, site: Site, index_source: Source, healthy: Source
) -> None:
    listed = [("/undated-a.xml", None), ("/dated.xml", "2026-01-31"), ("/undated-b.xml", None)]
    listed.append(("/undated-c.xml", None))
    site.route(
        "/sitemap.xml", 200, index_of(*((site.url(p), d) for p, d in listed)), content_type=XML
    )
    for path, _ in listed:
        site.route(path, 200, urlset_of(site, path.strip("/.xml")), content_type=XML)
    crawl(scheduler, index_source, healthy)
    read = [seen.path for seen in site.seen if seen.path != "/sitemap.xml"]
    assert read == ["/dated.xml", "/undated-a.xml", "/undated-b.xml"]


def test_it_never_follows_a_sitemap_on_another_site(
    scheduler: Scheduler, site: Site, healthy_site: Site, index_source: Source, healthy: Source
) -> None:
    healthy_site.route("/their-sitemap.xml", 200, urlset_of(healthy_site, "x"), content_type=XML)
    site.route(
        "/sitemap.xml",
        200,
        index_of(
            (healthy_site.url("/their-sitemap.xml"), "2026-03-31"),
            (site.url("/news.xml"), "2026-01-01"),
        ),
        content_type=XML,
    )
    site.route("/news.xml", 200, urlset_of(site, "ours"), content_type=XML)
    source = crawl(scheduler, index_source, healthy)
    assert healthy_site.requests_to("/their-sitemap.xml") == []
    assert list(stored(source)) == [site.url("/news/2026/ours")]
    assert source.status == Source.Status.OK
    assert source.last_error == (
        "Read with problems: not followed: 1 sitemap on another site, e.g. "
        f"{healthy_site.url('/their-sitemap.xml')}"
    )


def test_an_index_of_other_sites_only_is_an_error(
    scheduler: Scheduler, site: Site, healthy_site: Site, index_source: Source, healthy: Source
) -> None:
    site.route(
        "/sitemap.xml",
        200,
        index_of((healthy_site.url("/a.xml"), None), (site.url("/sitemap.xml"), None)),
        content_type=XML,
    )
    source = crawl(scheduler, index_source, healthy)
    assert source.status == Source.Status.ERROR
    assert source.last_error == (
        "Could not read it: this sitemap index names no other sitemap on its own site to "
        f"read (not followed: 1 sitemap on another site, e.g. {healthy_site.url('/a.xml')})"
    )
    assert healthy_site.requests_to("/a.xml") == []
    assert len(site.requests_to("/sitemap.xml")) == 1


def test_a_failing_sitemap_is_named_and_the_good_ones_articles_are_stored(
    scheduler: Scheduler, site: Site, index_source: Source, healthy: Source
) -> None:
    site.route(
        "/sitemap.xml",
        200,
        index_of(
            (site.url("/good.xml"), None),
            (site.url("/missing.xml"), None),
            (site.url("/broken.xml"), None),
        ),
        content_type=XML,
    )
    site.route("/good.xml", 200, urlset_of(site, "good-story"), content_type=XML)
    # A "soft 404": the site's home page where a sitemap should be.
    site.route("/broken.xml", 200, b"<html><body>Home</body></html>", content_type=XML)
    source = crawl(scheduler, index_source, healthy)
    assert source.status == Source.Status.OK
    assert list(stored(source)) == [site.url("/news/2026/good-story")]
    assert source.last_error == (
        f"Read with problems: its sitemap {site.url('/missing.xml')} could not be read: "
        "HTTP 404: there is nothing at this address (not found); "
        f"its sitemap {site.url('/broken.xml')} could not be read: this is not a sitemap "
        "(its root element is <html>)"
    )


def test_an_index_whose_sitemaps_all_fail_is_an_error_that_names_them(
    scheduler: Scheduler, site: Site, index_source: Source, healthy: Source
) -> None:
    site.route(
        "/sitemap.xml",
        200,
        index_of((site.url("/missing.xml"), None), (site.url("/slow.xml"), None)),
        content_type=XML,
    )
    site.routes["/slow.xml"] = drip
    source = crawl(scheduler, index_source, healthy)
    assert source.status == Source.Status.ERROR
    assert source.error_count == 1
    assert source.last_error == (
        f"Could not read it: this sitemap index gave no articles: its sitemap "
        f"{site.url('/missing.xml')} could not be read: HTTP 404: there is nothing at this "
        "address (not found) (and 1 more)"
    )


def test_an_index_that_lists_itself_is_read_once(
    scheduler: Scheduler, site: Site, index_source: Source, healthy: Source
) -> None:
    site.route(
        "/sitemap.xml",
        200,
        index_of((site.url("/sitemap.xml"), "2026-03-31"), (site.url("/news.xml"), None)),
        content_type=XML,
    )
    site.route("/news.xml", 200, urlset_of(site, "story"), content_type=XML)
    source = crawl(scheduler, index_source, healthy)
    assert (source.status, source.last_error) == (Source.Status.OK, "")
    assert list(stored(source)) == [site.url("/news/2026/story")]
    assert [seen.path for seen in site.seen] == ["/sitemap.xml", "/news.xml"]


def test_an_index_inside_the_index_is_followed_one_level_only(
    scheduler: Scheduler, site: Site, index_source: Source, healthy: Source
) -> None:
    site.route("/sitemap.xml", 200, index_of((site.url("/sections.xml"), None)), content_type=XML)
    site.route(
        "/sections.xml",
        200,
        index_of(
            (site.url("/sitemap.xml"), None),  # back to the top: not read again
            (site.url("/politics.xml"), None),
            (site.url("/deeper.xml"), None),
        ),
        content_type=XML,
    )
    site.route("/politics.xml", 200, urlset_of(site, "vote"), content_type=XML)
    site.route("/deeper.xml", 200, index_of((site.url("/deepest.xml"), None)), content_type=XML)
    site.route("/deepest.xml", 200, urlset_of(site, "too-deep"), content_type=XML)
    source = crawl(scheduler, index_source, healthy)
    assert source.status == Source.Status.OK
    assert list(stored(source)) == [site.url("/news/2026/vote")]
    assert [seen.path for seen in site.seen] == [
        "/sitemap.xml",
        "/sections.xml",
        "/politics.xml",
        "/deeper.xml",
    ]
    assert source.last_error == (
        f"Read with problems: {site.url('/deeper.xml')} is an index inside an index inside "
        "an index; not followed"
    )


def test_an_index_gives_no_more_articles_per_poll_than_the_cap(
    scheduler: Scheduler,
    site: Site,
    index_source: Source,
    healthy: Source,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(crawl_module, "MAX_PAGE_LINKS", 5)
    site.route(
        "/sitemap.xml",
        200,
        index_of((site.url("/a.xml"), "2026-03-02"), (site.url("/b.xml"), "2026-03-01")),
        content_type=XML,
    )
    site.route("/a.xml", 200, urlset_of(site, *(f"a-{n}" for n in range(4))), content_type=XML)
    site.route("/b.xml", 200, urlset_of(site, *(f"b-{n}" for n in range(4))), content_type=XML)
    source = crawl(scheduler, index_source, healthy)
    assert source.status == Source.Status.OK
    assert set(stored(source)) == {
        *(site.url(f"/news/2026/a-{n}") for n in range(4)),
        site.url("/news/2026/b-0"),
    }
    assert source.last_error == (
        "Read with problems: more than 5 articles are listed; only the first 5 were read"
    )


def test_no_sitemap_is_started_past_one_fetch_deadline_into_the_poll(
    site: Site, index_source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.route(
        "/sitemap.xml",
        200,
        index_of((site.url("/a.xml"), None), (site.url("/b.xml"), None)),
        content_type=XML,
    )
    site.route("/a.xml", 200, urlset_of(site, "a"), content_type=XML)
    site.route("/b.xml", 200, urlset_of(site, "b"), content_type=XML)
    # The poll's clock: it starts at 0, and reads past the deadline once /a.xml is read.
    ticks = iter([0.0, 0.0, POLICY.deadline])
    monkeypatch.setattr(crawl_module, "_monotonic", lambda: next(ticks))
    with HttpClient(POLICY) as client:
        result = crawl_source(index_source, client=client)
    index_source.refresh_from_db()
    assert result.ok
    assert list(stored(index_source)) == [site.url("/news/2026/a")]
    assert site.requests_to("/b.xml") == []
    assert index_source.last_error == (
        f"Read with problems: out of time for this poll: {site.url('/b.xml')} and the "
        "sitemaps after it were left for the next one"
    )


@pytest.fixture
def local_fetching() -> Iterator[None]:
    with override_settings(NEWSDESK_FETCH_ALLOW_NETWORKS=list(ALLOWED)):
        yield


def test_sources_add_follows_an_index_address_as_a_sitemap(
    site: Site, local_fetching: None
) -> None:
    site.route("/sitemap.xml", 200, index_of((site.url("/news.xml"), None)), content_type=XML)
    out = io.StringIO()
    call_command("sources", "add", site.url("/sitemap.xml"), stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith(f"Added: {site.url('/sitemap.xml')} (News sitemap,")
    assert Source.objects.get().kind == Source.Kind.SITEMAP
