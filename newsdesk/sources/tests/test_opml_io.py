"""OPML export and import keep every kind of source: feeds, sitemaps, section pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from newsdesk.sources.models import Outlet, Source
from newsdesk.sources.opml_io import OTHER_OPML, PLAIN_LINK, export_opml, import_opml
from newsdesk.sources.parse.opml import NAMESPACE

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
FEED = "https://gazette.example/news.rss"
SITEMAP = "https://gazette.example/news-sitemap.xml"
SECTION = "https://weekly.example/local/"


def make_sources() -> None:
    gazette = Outlet.objects.create(
        name="Harbour Gazette", slug="harbour-gazette", home_url="https://gazette.example/"
    )
    # A hostile-looking outlet: a slash (folders split on it), quotes, markup.
    weekly = Outlet.objects.create(
        name='AC/DC "Weekly" <b>&', slug="acdc-weekly", home_url="https://weekly.example/"
    )
    Source.objects.create(outlet=gazette, url=FEED, kind="feed", title="Gazette news")
    Source.objects.create(outlet=gazette, url=SITEMAP, kind="sitemap")
    Source.objects.create(
        outlet=weekly,
        url=SECTION,
        kind="html",
        title='Local & "harbour" <news>',
        include_patterns=[r"^/local/20\d\d/", 'quote"<&>'],
        exclude_patterns=["live"],
    )


def snapshot() -> set[tuple[object, ...]]:
    return {
        (
            s.url,
            s.kind,
            s.title,
            s.outlet.name,
            s.outlet.home_url,
            tuple(s.include_patterns),
            tuple(s.exclude_patterns),
        )
        for s in Source.objects.select_related("outlet")
    }


def wipe() -> None:
    Source.objects.all().delete()
    Outlet.objects.all().delete()


def test_export_wipe_import_brings_back_every_kind_with_its_outlet() -> None:
    make_sources()
    before = snapshot()
    export = export_opml()
    assert (export.feeds, export.others) == (1, 2)

    wipe()
    report = import_opml(export.data)

    assert sorted(report.added) == sorted([FEED, SITEMAP, SECTION])
    assert (report.failed, report.left_out, report.problems) == ([], [], [])
    assert snapshot() == before
    assert Outlet.objects.count() == 2


def test_importing_the_export_twice_adds_nothing_the_second_time() -> None:
    make_sources()
    data = export_opml().data
    wipe()

    first = import_opml(data)
    after_first = snapshot()
    second = import_opml(data)

    assert len(first.added) == 3
    assert second.added == [] and sorted(second.skipped) == sorted([FEED, SITEMAP, SECTION])
    assert second.lines()[0] == "Added 0, skipped 3 (already followed), failed 0, left out 0."
    assert snapshot() == after_first
    assert (Source.objects.count(), Outlet.objects.count()) == (3, 2)


def test_a_feed_readers_view_of_the_export_holds_only_the_feeds() -> None:
    make_sources()
    root = etree.fromstring(export_opml().data)
    assert root.xpath("//outline[@xmlUrl]/@xmlUrl") == [FEED]
    assert root.xpath("//outline[@xmlUrl]/@type") == ["rss"]
    assert root.xpath("//outline[@xmlUrl]/@htmlUrl") == ["https://gazette.example/"]
    others = {o.get("url"): o for o in root.xpath("//outline[@url]")}
    assert others.keys() == {SITEMAP, SECTION}
    assert {o.get("type") for o in others.values()} == {"link"}
    assert others[SITEMAP].get(f"{{{NAMESPACE}}}kind") == "sitemap"
    assert others[SECTION].get(f"{{{NAMESPACE}}}kind") == "section"


def test_it_keeps_the_current_exports_head_and_outlet_folders() -> None:
    make_sources()
    root = etree.fromstring(export_opml("My backup").data)
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "My backup"
    assert root.findtext("head/dateCreated", "").endswith("GMT")
    folder = root.xpath("/opml/body/outline[@text='Harbour Gazette']")[0]
    assert sorted(o.get("type") for o in folder) == ["link", "rss"]


def test_links_from_other_tools_are_left_out_with_the_reason() -> None:
    report = import_opml((DATA / "newsdesk-export.opml").read_bytes())
    assert ("https://blog.example/about", PLAIN_LINK) in report.left_out
    assert ("https://lists.example/more.opml", OTHER_OPML) in report.left_out
    assert not Source.objects.filter(url__in=["https://blog.example/about"]).exists()
    assert "left out https://blog.example/about: a plain web link" in "\n".join(report.lines())


def test_an_unknown_kind_is_reported_not_guessed_and_the_rest_is_imported() -> None:
    report = import_opml((DATA / "newsdesk-export.opml").read_bytes())
    assert report.failed == [
        (
            "https://pods.example/show",
            "unknown kind 'podcast' (Newsdesk reads feed, sitemap, section)",
        )
    ]
    assert not Source.objects.filter(url="https://pods.example/show").exists()
    kinds = dict(Source.objects.values_list("url", "kind"))
    assert kinds == {
        "https://gazette.example/news.rss": "feed",
        "https://gazette.example/news-sitemap.xml": "sitemap",
        "https://gazette.example/local/": "html",
    }
    section = Source.objects.get(kind="html")
    assert (section.include_patterns, section.exclude_patterns) == (
        [r"/local/20\d\d/"],
        ["live", "été"],
    )
    assert section.outlet.home_url == "https://gazette.example/"


def opml(*outlines: str) -> bytes:
    return (
        f'<opml version="2.0" xmlns:newsdesk="{NAMESPACE}"><body>'
        + "".join(outlines)
        + "</body></opml>"
    ).encode()


def test_bad_entries_fail_by_url_and_never_stop_the_batch() -> None:
    report = import_opml(
        opml(
            '<outline type="link" url="https://a.example/world/" newsdesk:kind="section" '
            "newsdesk:include='[\"(unclosed\"]'/>",
            '<outline type="link" url="https://b.example/world/" newsdesk:kind="section" '
            "newsdesk:exclude='nope'/>",
            '<outline type="link" url="http://10.1.2.3/sitemap.xml" newsdesk:kind="sitemap"/>',
            '<outline type="link" url="https://c.example/sitemap.xml" newsdesk:kind="sitemap"/>',
            f'<outline type="rss" xmlUrl="https://d.example/{"x" * 2000}"/>',
        )
    )
    reasons = dict(report.failed)
    assert "is not a valid regular expression" in reasons["https://a.example/world/"]
    assert "newsdesk:exclude is not a JSON list" in reasons["https://b.example/world/"]
    assert "10.1.2.3 is a private network address" in reasons["http://10.1.2.3/sitemap.xml"]
    assert reasons["https://d.example/" + "x" * 82 + "…"] == (
        "the address is longer than 2000 characters"
    )
    assert report.added == ["https://c.example/sitemap.xml"]
    assert list(Source.objects.values_list("url", "kind")) == [
        ("https://c.example/sitemap.xml", "sitemap")
    ]
    # The failed entries left nothing behind, not even an outlet.
    assert list(Outlet.objects.values_list("name", flat=True)) == ["c.example"]


def test_an_outlet_of_our_export_is_created_but_other_folders_are_not_outlets() -> None:
    import_opml(
        opml(
            '<outline text="Tech"><outline type="rss" xmlUrl="https://t.example/feed"/></outline>',
            '<outline text="Tech"><outline type="link" url="https://s.example/sitemap.xml" '
            'newsdesk:kind="sitemap" newsdesk:outlet="Sea News" '
            'newsdesk:home="https://s.example/"/></outline>',
        )
    )
    assert Outlet.objects.get(sources__url="https://t.example/feed").name == "t.example"
    sea = Outlet.objects.get(sources__url="https://s.example/sitemap.xml")
    assert (sea.name, sea.home_url) == ("Sea News", "https://s.example/")


def test_an_existing_outlets_site_is_not_overwritten_by_a_file() -> None:
    Outlet.objects.create(name="Sea News", slug="sea-news", home_url="https://sea.example/")
    import_opml(
        opml(
            '<outline type="link" url="https://s.example/sitemap.xml" newsdesk:kind="sitemap" '
            'newsdesk:outlet="Sea News" newsdesk:home="https://elsewhere.example/"/>'
        )
    )
    assert Outlet.objects.get().home_url == "https://sea.example/"
