"""parse_sitemap: urlsets, indexes, Google News tags, gzip, and hostile input."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.sources.parse import SitemapParseError, parse_sitemap

DATA = Path(__file__).parent / "data"
BASE = "https://www.dailyexample.com/sitemap.xml"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def urlset(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
    ).encode()


def test_it_reads_google_news_tags():
    sitemap = parse_sitemap(load("news-sitemap.xml"), BASE)
    assert sitemap.kind == "urlset"
    assert sitemap.sitemaps == ()
    climate, markets, about = sitemap.entries
    assert climate.url == "https://www.dailyexample.com/world/2024/05/06/leaders-agree-climate-fund"
    assert climate.lastmod == datetime(2024, 5, 6, 8, 20, tzinfo=UTC)
    assert climate.news_title == "Leaders agree on new climate fund"
    assert climate.news_published == datetime(2024, 5, 6, 8, 15, tzinfo=UTC)
    assert climate.news_keywords == ("climate", "diplomacy", "finance")
    assert climate.news_language == "en"
    assert climate.publication_name == "The Daily Example"
    assert markets.news_published == datetime(2024, 5, 6, tzinfo=UTC)
    assert about.news_title is None
    assert about.lastmod == datetime(2023, 1, 1, tzinfo=UTC)  # W3C "YYYY-MM"


def test_it_reads_a_sitemap_index_and_resolves_relative_locs():
    sitemap = parse_sitemap(load("sitemap-index.xml"), BASE)
    assert sitemap.kind == "index"
    assert sitemap.entries == ()
    assert sitemap.sitemaps == (
        "https://www.dailyexample.com/sitemaps/news.xml",
        "https://www.dailyexample.com/sitemaps/2024-05.xml.gz",
        "https://www.dailyexample.com/sitemaps/2024-04.xml.gz",
    )
    assert any("skipped" in p for p in sitemap.problems)  # the ftp:// one
    assert [child.lastmod for child in sitemap.children] == [
        datetime(2024, 5, 6, 12, tzinfo=UTC),
        None,
        None,
    ]


def test_it_reads_a_gzipped_sitemap():
    plain = parse_sitemap(load("news-sitemap.xml"), BASE)
    assert parse_sitemap(load("news-sitemap.xml.gz"), BASE) == plain


def test_it_reads_a_multi_member_gzip():
    body = gzip.compress(urlset("<url><loc>https://a.example/1</loc></url>")[:60]) + gzip.compress(
        urlset("<url><loc>https://a.example/1</loc></url>")[60:]
    )
    assert parse_sitemap(body, BASE).entries[0].url == "https://a.example/1"


def test_it_refuses_a_gzip_bomb_quickly():
    bomb = gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200_000
    started = time.perf_counter()
    with pytest.raises(SitemapParseError, match="larger than 50 MB"):
        parse_sitemap(bomb, BASE)
    assert time.perf_counter() - started < 5


def test_it_refuses_an_oversized_plain_sitemap():
    with pytest.raises(SitemapParseError, match="larger than"):
        parse_sitemap(urlset("<url><loc>https://a.example/1</loc></url>"), BASE, max_bytes=50)


def test_it_refuses_broken_gzip():
    with pytest.raises(SitemapParseError, match="not valid gzip"):
        parse_sitemap(b"\x1f\x8b\x08\x00garbagegarbage", BASE)


def test_it_reads_a_truncated_gzip_as_far_as_possible():
    whole = gzip.compress(urlset("<url><loc>https://a.example/1</loc></url>" * 3))
    sitemap = parse_sitemap(whole[: len(whole) - 12], BASE)
    assert any("truncated" in p for p in sitemap.problems)


def test_it_caps_the_number_of_urls():
    body = urlset("".join(f"<url><loc>https://a.example/{n}</loc></url>" for n in range(30)))
    sitemap = parse_sitemap(body, BASE, max_urls=10)
    assert len(sitemap.entries) == 10
    assert any("more than 10 URLs" in p for p in sitemap.problems)


def test_it_drops_duplicates_and_non_http_locs():
    body = urlset(
        "<url><loc>https://a.example/1</loc></url><url><loc>https://a.example/1</loc></url>"
        "<url><loc>javascript:alert(1)</loc></url><url><lastmod>2024-01-01</lastmod></url>"
    )
    sitemap = parse_sitemap(body, BASE)
    assert [e.url for e in sitemap.entries] == ["https://a.example/1"]
    assert len(sitemap.problems) == 2


def test_it_tolerates_a_missing_namespace_and_malformed_xml():
    body = b"<urlset><url><loc>https://a.example/1</loc></url><url><loc>https://a.example/2</loc>"
    sitemap = parse_sitemap(body, BASE)
    assert [e.url for e in sitemap.entries] == ["https://a.example/1", "https://a.example/2"]
    assert any("not well-formed" in p for p in sitemap.problems)


def test_it_reads_a_plain_text_sitemap():
    body = b"https://a.example/one\nhttps://a.example/two\r\n\nnot-a-url\n"
    sitemap = parse_sitemap(body, BASE)
    assert [e.url for e in sitemap.entries] == ["https://a.example/one", "https://a.example/two"]


def test_it_reads_latin1_declared_as_utf8():
    body = urlset("<url><loc>https://a.example/caf\u00e9</loc></url>").decode().encode("latin-1")
    assert parse_sitemap(body, BASE).entries[0].url == "https://a.example/café"


def test_it_handles_a_bom():
    body = b"\xef\xbb\xbf" + urlset("<url><loc>https://a.example/1</loc></url>")
    assert parse_sitemap(body, BASE).entries[0].url == "https://a.example/1"


@pytest.mark.parametrize(
    "body",
    [b"", b"  \n", b"<html><body>Not found</body></html>", b"\x00\x01\x02", b"{}"],
)
def test_it_refuses_what_is_not_a_sitemap(body):
    with pytest.raises(SitemapParseError):
        parse_sitemap(body, BASE)


def test_it_refuses_external_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<urlset><url><loc>https://a.example/&xxe;</loc></url></urlset>"
    ).encode()
    with pytest.raises(SitemapParseError, match="refuse") as caught:
        parse_sitemap(body, BASE)
    assert "TOP-SECRET" not in str(caught.value)


def test_it_refuses_billion_laughs_quickly():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    body = f"<!DOCTYPE lolz [{entities}]><urlset><url><loc>&lol9;</loc></url></urlset>".encode()
    started = time.perf_counter()
    with pytest.raises(SitemapParseError, match="refuse"):
        parse_sitemap(body, BASE)
    assert time.perf_counter() - started < 1


def test_it_refuses_entities_in_utf16_too():
    body = '<!DOCTYPE x [<!ENTITY a "b">]><urlset/>'.encode("utf-16")
    with pytest.raises(SitemapParseError, match="refuse"):
        parse_sitemap(body, BASE)


def test_it_survives_deep_nesting():
    body = b"<urlset>" + b"<a>" * 100_000 + b"</urlset>"
    started = time.perf_counter()
    sitemap = parse_sitemap(body, BASE)
    assert sitemap.entries == ()
    assert time.perf_counter() - started < 5
