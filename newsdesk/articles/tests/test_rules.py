"""Operator rules (SiteRule): applying them, choosing them, the admin preview and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
from datetime import UTC
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from newsdesk.articles import pages
from newsdesk.articles.extract import extract
from newsdesk.articles.ingest import process_item
from newsdesk.articles.models import Article, PageSnapshot, SiteBlock, SiteRule
from newsdesk.articles.rules import extract_with_rule, rule_for, selector_errors
from newsdesk.articles.tests.conftest import LocalSite, story
from newsdesk.lib.http import FetchPolicy
from newsdesk.sources.models import Outlet, Source, SourceItem

URL = "https://news.gazette.example/2026/03/ferry"
PROMO = (
    "Our readers' panel meets on Thursdays at the harbour office, and every reader of the "
    "Gazette is welcome to come along and tell the editors what to cover next."
)


def messy_page() -> str:
    """The story sits in div.story-body; a promo paragraph inside it looks like text,
    and the CMS puts the real headline and byline where no metadata points."""
    paragraphs = story("rules")
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:3]) + f'<p class="promo">{PROMO}</p>'
    body += "".join(f"<p>{p}</p>" for p in paragraphs[3:])
    return (
        '<html lang="en"><head><meta charset="utf-8"><title>Gazette</title></head><body>'
        '<div class="top"><p class="kicker">Ferry fares: the new timetable</p></div>'
        '<div class="meta"><span class="who">By Ana Ruiz and Tom Bell</span>'
        '<time class="when" datetime="2026-03-12T09:30:00+01:00">12 March</time></div>'
        f'<div class="story-body">{body}</div>'
        '<div class="more-stories"><p>' + " ".join(story("other")[:2]) + "</p></div>"
        "</body></html>"
    )


def rule(**fields: object) -> SiteRule:
    defaults: dict[str, object] = {"host_pattern": "*.gazette.example"}
    return SiteRule.objects.create(**{**defaults, **fields})


@pytest.mark.django_db
def test_it_narrows_the_page_to_the_body_and_removes_elements() -> None:
    plain = extract(messy_page(), URL)
    assert PROMO in plain.text
    outcome = extract_with_rule(
        rule(body_selector="div.story-body", remove_selectors="p.promo\n.ad-slot"),
        messy_page(),
        URL,
    )
    text = outcome.extraction.text
    assert PROMO not in text
    assert story("rules")[0] in text and story("rules")[-1] in text
    assert story("other")[0] not in text
    assert "removed 1 × p.promo" in outcome.notes
    assert "removed 0 × .ad-slot" in outcome.notes


@pytest.mark.django_db
def test_it_overrides_title_authors_and_date() -> None:
    outcome = extract_with_rule(
        rule(title_selector=".kicker", author_selector=".who", date_selector="time.when"),
        messy_page(),
        URL,
    )
    ex = outcome.extraction
    assert ex.title == "Ferry fares: the new timetable"
    assert ex.authors == ("Ana Ruiz", "Tom Bell")
    assert ex.published == dt.datetime(2026, 3, 12, 8, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_it_falls_back_to_the_whole_page_when_the_body_selector_misses() -> None:
    outcome = extract_with_rule(rule(body_selector="main.nothing-here"), messy_page(), URL)
    assert outcome.extraction.text == extract(messy_page(), URL).text
    assert any("matched nothing" in note for note in outcome.notes)


@pytest.mark.django_db
def test_it_chooses_the_host_rule_over_the_outlet_rule() -> None:
    gazette = Outlet.objects.create(name="Gazette", slug="gazette")
    other = Outlet.objects.create(name="Other", slug="other")
    outlet_wide = SiteRule.objects.create(outlet=gazette, body_selector="article")
    host = rule(body_selector="div.story-body")
    rule(body_selector="div.x", enabled=False, host_pattern="news.gazette.example")
    assert rule_for(gazette, URL) == host
    assert rule_for(gazette, "https://gazette.example/elsewhere") == outlet_wide
    assert rule_for(other, "https://other.example/a") is None
    assert rule_for(None, URL) == host


@pytest.mark.django_db
def test_it_refuses_a_bad_selector_and_a_rule_for_nowhere() -> None:
    bad = SiteRule(host_pattern="a.example", body_selector="div[", remove_selectors=".ok\np::x(")
    errors = selector_errors(bad)
    assert set(errors) == {"body_selector", "remove_selectors"}
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(ValidationError):
        SiteRule(body_selector="article").full_clean()
    SiteRule(host_pattern="a.example", body_selector="article > .body").full_clean()


@pytest.mark.django_db
def test_it_applies_the_outlets_rule_at_ingest(
    local_site: LocalSite, local_policy: FetchPolicy
) -> None:
    gazette = Outlet.objects.create(name="Gazette", slug="gazette", home_url=local_site.url("/"))
    source = Source.objects.create(outlet=gazette, url=local_site.url("/feed"))
    SiteRule.objects.create(
        outlet=gazette, body_selector="div.story-body", remove_selectors="p.promo",
        author_selector=".who",
    )  # fmt: skip
    local_site.add("/2026/ferry", messy_page())
    item = SourceItem.objects.create(source=source, guid="f", url=local_site.url("/2026/ferry"))
    result = process_item(item, policy=local_policy)
    assert result.state == SourceItem.State.DONE, result.message
    article = Article.objects.get()
    assert PROMO not in article.text
    assert [a.name for a in article.authors.order_by("bylines__position")] == [
        "Ana Ruiz",
        "Tom Bell",
    ]
    snapshot = PageSnapshot.objects.get(article=article)
    assert pages.snapshot_body(snapshot) == messy_page().encode()


# --------------------------------------------------------------------------- snapshots


@pytest.mark.django_db
def test_it_keeps_raw_pages_only_for_recent_articles_and_under_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "SNAPSHOTS_PER_OUTLET", 2)
    monkeypatch.setattr(pages, "SNAPSHOT_MAX_BYTES", 5000)
    gazette = Outlet.objects.create(name="Gazette", slug="gazette")
    start = dt.datetime(2026, 3, 1, tzinfo=UTC)
    articles = [
        Article.objects.create(
            canonical_url=f"https://g.example/{n}",
            url=f"https://g.example/{n}",
            outlet=gazette,
            title=str(n),
            text="t",
            published_at=start,
        )  # fmt: skip
        for n in range(4)
    ]
    for n, article in enumerate(articles[:3]):
        when = start + dt.timedelta(hours=n)
        pages.keep_snapshot(article, article.url, "text/html", b"<p>page</p>" * 10, when)
    kept = set(PageSnapshot.objects.values_list("article_id", flat=True))
    assert kept == {articles[1].pk, articles[2].pk}
    assert pages.keep_snapshot(articles[3], "u", "text/html", b"x" * 6000, start) is None
    assert not PageSnapshot.objects.filter(article=articles[3]).exists()
    stored = PageSnapshot.objects.get(article=articles[2])
    assert stored.size == 110 and len(bytes(stored.body_gz)) < stored.size


# --------------------------------------------------------------------------- admin preview


@pytest.fixture
def admin_client(db: None) -> Client:
    user = User.objects.create_superuser("editor", "editor@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_previews_pasted_html_with_and_without_the_rule(admin_client: Client) -> None:
    the_rule = rule(body_selector="div.story-body", remove_selectors="p.promo")
    url = reverse("admin:articles_siterule_preview", args=[the_rule.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"html": messy_page(), "page_url": URL})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Without the rule" in page and "With the rule" in page
    rows = response.context["rows"]["fields"]
    text_row = next(row for row in rows if row[0] == "Text")
    assert PROMO in text_row[1] and PROMO not in text_row[2]
    assert text_row[3]  # marked as changed
    assert "removed 1 × p.promo" in page


@pytest.mark.django_db
def test_it_previews_a_stored_article_from_its_kept_page(
    admin_client: Client, local_site: LocalSite, local_policy: FetchPolicy
) -> None:
    gazette = Outlet.objects.create(name="Gazette", slug="gazette", home_url=local_site.url("/"))
    source = Source.objects.create(outlet=gazette, url=local_site.url("/feed"))
    local_site.add("/2026/ferry", messy_page())
    item = SourceItem.objects.create(source=source, guid="f", url=local_site.url("/2026/ferry"))
    process_item(item, policy=local_policy)
    hits = sum(local_site.hits.values())
    the_rule = SiteRule.objects.create(outlet=gazette, remove_selectors="p.promo", enabled=False)
    url = reverse("admin:articles_siterule_preview", args=[the_rule.pk])
    response = admin_client.post(url, {"url": local_site.url("/2026/ferry")})
    assert response.context["origin"] == "snapshot"
    assert sum(local_site.hits.values()) == hits  # nothing fetched
    text_row = next(row for row in response.context["rows"]["fields"] if row[0] == "Text")
    assert PROMO in text_row[1] and PROMO not in text_row[2]


@pytest.mark.django_db
def test_it_shows_why_a_page_could_not_be_previewed(admin_client: Client) -> None:
    the_rule = rule(body_selector="article")
    url = reverse("admin:articles_siterule_preview", args=[the_rule.pk])
    # Loopback is refused by the guarded client under the default policy.
    response = admin_client.post(url, {"url": "http://127.0.0.1:9/nothing"})
    assert "could not fetch" in response.context["error"]
    assert admin_client.post(url, {}).context["form"].errors


# --------------------------------------------------------------------------- CLI


@pytest.mark.django_db
def test_it_checks_a_rule_from_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(messy_page(), "utf-8")
    rule(body_selector="div.story-body", remove_selectors="p.promo", author_selector=".who")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "extract", str(path), "--url", URL, "--rule-from-db", "--compare", "--json",
        stdout=out, stderr=err,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert PROMO in data["without"]["text"] and PROMO not in data["with"]["text"]
    assert data["with"]["authors"] == ["Ana Ruiz", "Tom Bell"]
    assert "removed 1 × p.promo" in data["notes"]

    disabled = rule(remove_selectors="div.story-body p", enabled=False)
    out = io.StringIO()
    call_command("extract", str(path), "--url", URL, "--rule", str(disabled.pk), stdout=out,
                 stderr=err)  # fmt: skip
    assert story("rules")[0] not in out.getvalue()


@pytest.mark.django_db
def test_it_lists_articles_rules_and_learned_blocks_in_the_admin(admin_client: Client) -> None:
    gazette = Outlet.objects.create(name="Gazette", slug="gazette")
    article = Article.objects.create(
        canonical_url="https://g.example/a", url="https://g.example/a", outlet=gazette,
        title="A story", text="t", published_at=dt.datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip
    article.aliases.create(url="https://g.example/a/amp")
    SiteBlock.objects.create(outlet=gazette, fingerprint="abc123", article_count=4)
    the_rule = rule(body_selector="article")
    pages_to_open = [
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_siteblock_changelist"),
        reverse("admin:articles_siterule_changelist"),
        reverse("admin:articles_siterule_change", args=[the_rule.pk]),
    ]
    for url in pages_to_open:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert b"https://g.example/a/amp" in admin_client.get(pages_to_open[1]).content
    assert b"abc123" in admin_client.get(pages_to_open[2]).content
    assert b"Try on a page" in admin_client.get(pages_to_open[3]).content


@pytest.mark.django_db
def test_it_checks_a_rule_on_a_stored_article_from_the_cli_without_fetching(
    local_site: LocalSite, local_policy: FetchPolicy
) -> None:
    gazette = Outlet.objects.create(name="Gazette", slug="gazette", home_url=local_site.url("/"))
    source = Source.objects.create(outlet=gazette, url=local_site.url("/feed"))
    local_site.add("/2026/ferry", messy_page())
    item = SourceItem.objects.create(source=source, guid="f", url=local_site.url("/2026/ferry"))
    process_item(item, policy=local_policy)
    SiteRule.objects.create(outlet=gazette, remove_selectors="p.promo")
    hits = sum(local_site.hits.values())
    out = io.StringIO()
    call_command(
        "extract", local_site.url("/2026/ferry"), "--rule-from-db", "--learned", "--compare",
        stdout=out,
    )  # fmt: skip
    assert sum(local_site.hits.values()) == hits
    text = out.getvalue()
    without, with_rule = text.split("=== With the rule")
    assert "removed 1 × p.promo" in text
    assert PROMO in without and PROMO not in with_rule


def two_headline_page() -> str:
    """The social headline in og:title, the edited one in JSON-LD and the <h1>."""
    body = "".join(f"<p>{p}</p>" for p in story("rules"))
    return (
        '<html lang="en"><head><meta charset="utf-8"><title>Ferry fares rise | Gazette</title>'
        '<meta property="og:title" content="You will pay more for the ferry from May">'
        '<script type="application/ld+json">{"@type":"NewsArticle",'
        '"headline":"Ferry fares rise by a fifth from May"}</script></head><body>'
        f'<h1 class="headline">Ferry fares rise by a fifth from May</h1><article>{body}</article>'
        "</body></html>"
    )


@pytest.mark.django_db
def test_it_takes_the_title_from_the_source_the_operator_pinned() -> None:
    assert extract(two_headline_page(), URL).title == "You will pay more for the ferry from May"
    outcome = extract_with_rule(rule(title_source="jsonld"), two_headline_page(), URL)
    assert outcome.extraction.title == "Ferry fares rise by a fifth from May"
    assert "title from JSON-LD headline" in outcome.notes
    by_tag = extract_with_rule(rule(title_source="title"), two_headline_page(), URL)
    assert by_tag.extraction.title == "Ferry fares rise"


@pytest.mark.django_db
def test_a_pinned_title_source_the_page_lacks_keeps_the_automatic_title() -> None:
    outcome = extract_with_rule(rule(title_source="twitter"), two_headline_page(), URL)
    assert outcome.extraction.title == "You will pay more for the ferry from May"
    assert "the page has no twitter:title: title chosen automatically" in outcome.notes


@pytest.mark.django_db
def test_a_title_selector_wins_over_a_pinned_title_source() -> None:
    pinned = rule(title_source="og", title_selector="h1.headline")
    outcome = extract_with_rule(pinned, two_headline_page(), URL)
    assert outcome.extraction.title == "Ferry fares rise by a fifth from May"


@pytest.mark.django_db
def test_an_unknown_title_source_is_a_validation_error() -> None:
    bad = SiteRule(host_pattern="*.gazette.example", title_source="rss")
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "title_source" in caught.value.message_dict


@pytest.mark.django_db
def test_the_preview_lists_each_headline_source_and_marks_the_one_used(
    admin_client: Client,
) -> None:
    the_rule = rule(title_source="jsonld")
    url = reverse("admin:articles_siterule_preview", args=[the_rule.pk])
    response = admin_client.post(url, {"html": two_headline_page(), "page_url": URL})
    assert response.status_code == 200
    sources = {row["key"]: row for row in response.context["headlines"]}
    assert sources["og"]["title"] == "You will pay more for the ferry from May"
    assert sources["jsonld"]["title"] == "Ferry fares rise by a fifth from May"
    assert sources["twitter"]["title"] == ""
    assert [key for key, row in sources.items() if row["used"]] == ["jsonld", "h1"]
    assert "Headline sources" in response.content.decode()
