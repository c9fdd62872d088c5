"""Everything from outside is escaped on every page; only article.html is trusted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.articles.models import Article
from newsdesk.web.tests.factories import (
    make_article,
    make_author,
    make_outlet,
    make_source,
    make_topic,
)

pytestmark = pytest.mark.django_db

EVIL = "<script>alert('x')</script>"


@pytest.fixture
def evil_article() -> Article:
    outlet = make_outlet(EVIL, slug="evil", home_url="javascript:alert('home')")
    make_source(outlet, title=EVIL, status="error", last_error=EVIL)
    author = make_author(EVIL, slug="evil-author", outlet=outlet, bio=EVIL)
    topic = make_topic(EVIL, slug="evil-topic", description=EVIL)
    article = make_article(
        EVIL,
        outlet=outlet,
        authors=[author],
        topics=[topic],
        snippet=EVIL,
        url="javascript:alert('source')",
        canonical_url="javascript:alert('canonical')",
        html="",
        text=EVIL,
    )
    # Second article so lists (related, recent, coverage) render the first one too.
    make_article(EVIL, outlet=outlet, authors=[author], topics=[topic], snippet=EVIL)
    return article


def pages(article: Article) -> list[str]:
    author = article.authors.get()
    return [
        reverse("web:home"),
        reverse("web:topics"),
        article.get_absolute_url(),
        reverse("web:topic", args=["evil-topic"]),
        author.get_absolute_url(),
        reverse("web:outlet", args=["evil"]),
    ]


def test_it_escapes_titles_bylines_and_outlet_names_everywhere(
    client: Client, evil_article: Article
) -> None:
    for url in pages(evil_article):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page, url


def test_it_never_links_javascript_urls(client: Client, evil_article: Article) -> None:
    for url in pages(evil_article):
        page = client.get(url).content.decode()
        assert 'href="javascript:' not in page.lower(), url
        assert "javascript:alert" not in page, url
    page = client.get(evil_article.get_absolute_url()).content.decode()
    assert "Source link" not in page
    assert 'rel="canonical"' not in page


def test_it_renders_sanitized_article_html_as_markup(client: Client) -> None:
    article = make_article("Body", html="<h2>Section</h2><p>Words.</p>")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<h2>Section</h2><p>Words.</p>" in page
