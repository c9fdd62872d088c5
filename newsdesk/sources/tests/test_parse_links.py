"""find_article_links, discover_feeds, sitemaps_from_robots, canonical_url, same_site."""

from __future__ import annotations

import pytest

from newsdesk.sources.parse import (
    COMMON_FEED_PATHS,
    DiscoveredFeed,
    canonical_url,
    common_feed_urls,
    discover_feeds,
    find_article_links,
    same_site,
    sitemaps_from_robots,
)

FRONT_PAGE = """<!DOCTYPE html>
<html><head><title>The Daily Example</title>
<link rel="alternate" type="application/rss+xml" title="World news" href="/world/rss.xml">
<link rel="alternate" type="application/atom+xml" href="https://www.dailyexample.com/atom.xml">
<link rel="Alternate" type="application/feed+json; charset=utf-8" href="feed.json" title=" JSON ">
<link rel="alternate" type="application/rss+xml" href="/world/rss.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" hreflang="fr" href="/fr/">
<link rel="stylesheet" type="text/css" href="/style.css">
</head><body>
<header><a href="/world/2024/05/06/header-promo-story-about-things">promo</a>
  <nav><a href="/world">World</a><a href="/tag/climate">Climate</a></nav></header>
<div class="main-menu"><a href="/business/markets-rally-as-inflation-cools-again">menu</a></div>
<main>
  <article><header><h2>
    <a href="/world/2024/05/06/leaders-agree-climate-fund?utm_source=home#comments">Leaders</a>
  </h2></header></article>
  <a href="https://dailyexample.com/business/markets-rally-as-inflation-cools-again">Markets</a>
  <a href="https://news.dailyexample.com/story/4412345">Numeric id</a>
  <a href="/culture/review.html">Review</a>
  <a href="/index.html">Home</a>
  <a href="/world/2024/05/06/leaders-agree-climate-fund">Leaders again</a>
  <a href="/author/maria-okafor-senior-correspondent-here">Author</a>
  <a href="/category/world-news-from-all-over-the-place">Category</a>
  <a href="/world?page=2">Next</a>
  <a href="/page/2/">Page 2</a>
  <a href="/about-us">About</a>
  <a href="mailto:desk@dailyexample.com">Mail</a>
  <a href="javascript:void(0)">JS</a>
  <a href="#top">Top</a>
  <a href="https://www.othernews.example/story/bridge-reopens-after-repairs">Elsewhere</a>
  <a href="/world/shorty">Short</a>
  <a href="/downloads/report-on-the-annual-budget-2024.pdf">PDF</a>
  <a href="/?p=12345">WordPress post</a>
</main>
<footer><a href="/2024/05/01/footer-linked-story-of-the-month">f</a></footer>
</body></html>"""


def test_it_finds_article_links_on_a_front_page():
    links = find_article_links(FRONT_PAGE, "https://www.dailyexample.com/")
    assert links == [
        "https://www.dailyexample.com/world/2024/05/06/leaders-agree-climate-fund",
        "https://dailyexample.com/business/markets-rally-as-inflation-cools-again",
        "https://news.dailyexample.com/story/4412345",
        "https://www.dailyexample.com/culture/review.html",
        "https://www.dailyexample.com/?p=12345",
    ]


def test_include_patterns_narrow_and_exclude_patterns_remove():
    page = "https://www.dailyexample.com/"
    assert find_article_links(FRONT_PAGE, page, include=[r"/world/"]) == [
        "https://www.dailyexample.com/world/2024/05/06/leaders-agree-climate-fund"
    ]
    excluded = find_article_links(FRONT_PAGE, page, exclude=[r"/business/", r"\?p="])
    assert (
        "https://dailyexample.com/business/markets-rally-as-inflation-cools-again" not in excluded
    )
    assert len(excluded) == 3


def test_an_invalid_pattern_is_a_value_error():
    with pytest.raises(ValueError, match="not a valid regex"):
        find_article_links(FRONT_PAGE, "https://www.dailyexample.com/", include=["("])


def test_it_honours_base_href_and_bytes_with_a_charset():
    html = (
        '<html><head><meta charset="iso-8859-1"><base href="https://www.dailyexample.com/news/">'
        '</head><body><a href="2024/05/caf\xe9-owners-protest-new-rules">x</a></body></html>'
    ).encode("latin-1")
    assert find_article_links(html, "https://www.dailyexample.com/") == [
        "https://www.dailyexample.com/news/2024/05/café-owners-protest-new-rules"
    ]


@pytest.mark.parametrize("html", ["", b"", "   ", b"\x00\xff", "<a href='http://[::1'>x</a>"])
def test_it_returns_nothing_for_empty_or_broken_pages(html):
    assert find_article_links(html, "https://www.dailyexample.com/") == []


def test_it_discovers_advertised_feeds():
    feeds = discover_feeds(FRONT_PAGE, "https://www.dailyexample.com/section/")
    assert feeds == [
        DiscoveredFeed("https://www.dailyexample.com/world/rss.xml", "World news", "rss"),
        DiscoveredFeed("https://www.dailyexample.com/atom.xml", None, "atom"),
        DiscoveredFeed("https://www.dailyexample.com/section/feed.json", "JSON", "jsonfeed"),
    ]


def test_it_discovers_nothing_on_an_empty_page():
    assert discover_feeds(b"", "https://a.example/") == []


def test_it_lists_common_feed_paths_as_urls():
    assert "/feed" in COMMON_FEED_PATHS and "/index.xml" in COMMON_FEED_PATHS
    urls = common_feed_urls("https://a.example/some/page")
    assert urls[0] == "https://a.example/feed"
    assert "https://a.example/feed.json" in urls


def test_it_reads_sitemaps_from_robots_txt():
    robots = (
        "\ufeffUser-agent: *\nDisallow: /private\n"
        "Sitemap: https://www.dailyexample.com/sitemap.xml\n"
        "sitemap:/news-sitemap.xml # the news one\n"
        "SITEMAP: https://www.dailyexample.com/sitemap.xml\n"
        "Sitemap: ftp://www.dailyexample.com/old.xml\n"
        "Sitemap:\n"
    )
    assert sitemaps_from_robots(robots, "https://www.dailyexample.com/robots.txt") == [
        "https://www.dailyexample.com/sitemap.xml",
        "https://www.dailyexample.com/news-sitemap.xml",
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM", "https://www.example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a/", "https://example.com/a/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a?utm_source=x&b=2&a=1&fbclid=y#frag", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?gclid=1&mc_cid=2&mc_eid=3&igshid=4&ref=5", "https://example.com/a"),
        ("https://example.com/a?ref_src=1&cmpid=2&ocid=3&_ga=4&at_medium=5&at_campaign=6",
         "https://example.com/a"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/%7euser/%2f", "https://example.com/~user/%2F"),
        ("https://example.com/s?q=a%2Fb&q=c", "https://example.com/s?q=a%2Fb&q=c"),
        ("https://Example.com./x", "https://example.com/x"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("http://[::1", "http://[::1"),
    ],
)  # fmt: skip
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent():
    once = canonical_url("HTTP://Example.com:80/a/../b?z=1&utm_campaign=x&a=2#f")
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://www.example.com/a", "https://example.com/b", True),
        ("https://news.bbc.co.uk/", "https://www.bbc.co.uk/x", True),
        ("http://example.com/", "https://example.com/", True),
        ("https://example.com/", "https://example.org/", False),
        ("https://bbc.co.uk/", "https://other.co.uk/", False),
        ("https://alice.github.io/", "https://bob.github.io/", False),
        ("https://127.0.0.1/", "https://127.0.0.1:8000/", True),
        ("not a url", "https://example.com/", False),
    ],
)
def test_same_site(a, b, expected):
    assert same_site(a, b) is expected
