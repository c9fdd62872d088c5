from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from html import escape, unescape

import pytest

from newsdesk.sample.catalog import Catalog
from newsdesk.sample.render import SLOW_ITEM_PATH
from newsdesk.sample.server import SampleSites

from .conftest import NOW


def _fetch(url: str, timeout: float = 10) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def _page(sites: SampleSites, url: str) -> str:
    status, content_type, body = _fetch(url)
    assert status == 200, url
    assert content_type == "text/html; charset=utf-8"
    return body.decode("utf-8")


def test_every_article_page_has_headline_paragraphs_and_boilerplate(
    sites: SampleSites, catalog: Catalog
) -> None:
    for article in catalog.articles:
        html = _page(sites, sites.url_for(article))
        assert '<html lang="en">' in html
        assert f"<title>{escape(article.title)} | " in html
        assert f">{escape(article.title)}</h1>" in html
        text = unescape(html)  # entity style differs between templates
        for paragraph in article.paragraphs:
            assert paragraph.removeprefix("## ") in text, article.key
        for phrase in catalog.page_boilerplate_phrases(article):
            assert phrase in text, (article.key, phrase)


def test_article_pages_carry_metadata(sites: SampleSites, catalog: Catalog) -> None:
    for article in catalog.articles:
        url = sites.url_for(article)
        html = _page(sites, url)
        published = (
            article.published_at(NOW).astimezone(catalog.outlet(article.outlet).tz).isoformat()
        )
        assert f'<link rel="canonical" href="{url}">' in html
        assert f'<meta property="og:url" content="{url}">' in html
        assert f'<meta property="article:published_time" content="{published}">' in html
        label = escape(article.section_label)
        assert f'<meta property="article:section" content="{label}">' in html
        assert f'<meta name="author" content="{escape(", ".join(article.author_names))}">' in html
        assert ('property="article:modified_time"' in html) == bool(article.updated_age_hours)
        assert "By " in html and f'datetime="{published}"' in html


def test_two_outlets_embed_json_ld_news_articles(sites: SampleSites, catalog: Catalog) -> None:
    with_ld = set()
    for article in catalog.articles:
        html = _page(sites, sites.url_for(article))
        match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html)
        if match is None:
            continue
        data = json.loads(match.group(1))
        assert data["@type"] == "NewsArticle"
        assert data["headline"] == article.title
        assert [a["name"] for a in data["author"]] == article.author_names
        assert data["publisher"]["name"] == catalog.outlet(article.outlet).name
        with_ld.add(article.outlet)
    assert len(with_ld) == 2


def test_layouts_differ_between_outlets(sites: SampleSites, catalog: Catalog) -> None:
    first = {o.slug: catalog.articles_for(o.slug)[0] for o in catalog.outlets}
    bodies = {slug: _page(sites, sites.url_for(a)) for slug, a in first.items()}
    containers = [
        'class="story-body"',
        'class="art-content"',
        'class="entry-content"',
        'class="field field-name-body"',
    ]
    for html, container in zip(bodies.values(), containers, strict=True):
        assert container in html
        assert sum(other in html for other in containers) == 1


def test_the_ledger_puts_share_and_signup_boxes_inside_the_body(
    sites: SampleSites, catalog: Catalog
) -> None:
    article = catalog.articles_for("continental-ledger")[0]
    html = _page(sites, sites.url_for(article))
    content = html.split('<div class="entry-content">', 1)[1]
    last_paragraph = escape(article.paragraphs[-1], quote=False)
    assert content.index("Share post") < content.index(last_paragraph)
    assert content.index("Receive free") < content.index(last_paragraph)


def test_quotes_become_blockquotes_on_some_outlets(sites: SampleSites, catalog: Catalog) -> None:
    article = catalog.article("kessling-courier/coalition-collapse")
    assert "<blockquote>" in _page(sites, sites.url_for(article))


def test_tracking_parameters_do_not_change_the_page(sites: SampleSites, catalog: Catalog) -> None:
    article = catalog.articles_for("sellen-valley-post")[0]
    clean = _page(sites, sites.url_for(article))
    tracked = _page(sites, sites.url_for(article) + "?utm_source=rss&utm_medium=feed")
    assert clean == tracked


def test_home_and_section_pages_link_their_articles(sites: SampleSites, catalog: Catalog) -> None:
    for running in sites.outlets:
        home = _page(sites, running.home_url)
        articles = catalog.articles_for(running.slug)
        assert all(f'{a.path}"' in home for a in articles)
        linked = set()
        for url in running.section_urls:
            html = _page(sites, url)
            linked |= {a.path for a in articles if f'{a.path}"' in html}
            assert 'class="teaser-text"' in html or "<li" not in html.split("<main>")[1]
        assert linked == {a.path for a in articles}


def test_images_are_served_as_svg(sites: SampleSites, catalog: Catalog) -> None:
    article = next(a for a in catalog.articles if a.image)
    image = article.image or ""
    status, content_type, body = _fetch(sites.outlet(article.outlet).base_url + image)
    assert status == 200 and content_type == "image/svg+xml"
    assert body.startswith(b"<svg") and len(body) < 4000


def test_unknown_paths_answer_404(sites: SampleSites) -> None:
    status, _, _ = _fetch(sites.outlets[0].base_url + "/no/such/page")
    assert status == 404


def test_the_500_item_answers_with_a_server_error(sites: SampleSites, catalog: Catalog) -> None:
    herald = catalog.outlet("merrowgate-herald")
    broken = next(b for b in herald.broken_items if b.kind == "http-500")
    status, _, _ = _fetch(sites.outlet(herald.slug).base_url + broken.path)
    assert status == 500


def test_the_malformed_item_is_truncated_invalid_utf8(sites: SampleSites, catalog: Catalog) -> None:
    herald = catalog.outlet("merrowgate-herald")
    broken = next(b for b in herald.broken_items if b.kind == "malformed")
    status, _, body = _fetch(sites.outlet(herald.slug).base_url + broken.path)
    assert status == 200
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert b"\x00" in body
    assert not body.rstrip().endswith(b">") and b"</html>" not in body


def test_the_timeout_fault_holds_back_the_answer() -> None:
    with SampleSites(now=NOW, faults=frozenset({"timeout"})) as sites:
        herald = sites.outlets[0]
        feed = urllib.request.urlopen(herald.feed_urls[0], timeout=10).read()
        assert SLOW_ITEM_PATH.encode() in feed
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            urllib.request.urlopen(herald.base_url + SLOW_ITEM_PATH, timeout=0.5)
        assert time.monotonic() - started < 2
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3, "stop() must not wait for the slow page"


def test_the_slow_page_eventually_answers() -> None:
    with SampleSites(now=NOW, faults=frozenset({"timeout"})) as sites:
        started = time.monotonic()
        status, _, _ = _fetch(sites.outlets[0].base_url + SLOW_ITEM_PATH, timeout=10)
        assert status == 200 and time.monotonic() - started >= 4.9


def test_unknown_faults_are_rejected() -> None:
    with pytest.raises(ValueError):
        SampleSites(faults=frozenset({"gremlins"}))


def test_the_server_is_quiet(sites: SampleSites, capfd: pytest.CaptureFixture[str]) -> None:
    _fetch(sites.outlets[0].home_url)
    _fetch(sites.outlets[0].base_url + "/missing")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_running_outlets_expose_their_urls(sites: SampleSites, catalog: Catalog) -> None:
    assert [r.slug for r in sites.outlets] == [o.slug for o in catalog.outlets]
    ports = {r.base_url for r in sites.outlets}
    assert len(ports) == len(sites.outlets)
    for running in sites.outlets:
        assert running.base_url.startswith("http://127.0.0.1:")
        assert running.home_url == running.base_url + "/"
        assert running.feed_urls and running.section_urls
