"""The ``extract`` management command on a file, on stdin, and on a URL served locally."""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

PAGE = (
    "<html lang='en'><head><title>Harbour plan approved | The Gull</title>"
    "<meta property='og:site_name' content='The Gull'>"
    "<meta name='author' content='By Jane Doe'>"
    "<meta property='article:published_time' content='2024-03-02T10:00:00Z'>"
    "<link rel='canonical' href='https://gull.example/a/1?utm_source=rss'></head><body><article>"
    + "".join(
        f"<p>The council voted on Tuesday to extend the harbour promenade, paragraph {i}, "
        "after years of debate about the cost and the view.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
)


def test_extract_file_human(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, "utf-8")
    out = io.StringIO()
    call_command("extract", str(path), "--url", "https://gull.example/a/1", stdout=out)
    text = out.getvalue()
    assert "Title:     Harbour plan approved" in text
    assert "Authors:   Jane Doe" in text
    assert "Canonical: https://gull.example/a/1" in text
    assert "paragraph 5" in text


def test_extract_stdin_json(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(PAGE.encode("utf-8")))
    monkeypatch.setattr(sys, "stdin", fake)
    out = io.StringIO()
    call_command("extract", "-", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {
        "title", "authors", "published", "modified", "language", "canonical_url", "image",
        "text", "html",
    }  # fmt: skip
    assert data["authors"] == ["Jane Doe"]
    assert data["published"] == "2024-03-02T10:00:00+00:00"
    assert data["language"] == "en"
    assert data["html"].startswith("<p>")


def test_extract_missing_file() -> None:
    with pytest.raises(CommandError):
        call_command("extract", "/nonexistent/page.html")


@pytest.fixture
def page_server() -> Iterator[str]:
    """One article page on 127.0.0.1, served over real HTTP."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = PAGE.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/a/1"
    finally:
        server.shutdown()
        server.server_close()


def test_extract_url_fetches_through_the_guarded_client(page_server: str, settings: Any) -> None:
    settings.NEWSDESK_FETCH_ALLOW_NETWORKS = ["127.0.0.1/32"]
    out = io.StringIO()
    call_command("extract", page_server, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["title"] == "Harbour plan approved"
    assert "paragraph 5" in data["text"]


def test_extract_url_refuses_a_private_address_unless_allowed(
    page_server: str, settings: Any
) -> None:
    settings.NEWSDESK_FETCH_ALLOW_NETWORKS = []
    with pytest.raises(CommandError, match="127.0.0.1"):
        call_command("extract", page_server, stdout=io.StringIO())


def test_extract_titles_lists_every_headline_source(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE.replace("<body>", "<body><h1>Promenade to grow by two kilometres</h1>"))
    out = io.StringIO()
    call_command("extract", str(path), "--titles", stdout=out)
    lines = out.getvalue().splitlines()
    assert "  * title    <title>              Harbour plan approved" in lines
    assert "    h1       first <h1>           Promenade to grow by two kilometres" in lines
    assert "    og       og:title             -" in lines
    out = io.StringIO()
    call_command("extract", str(path), "--titles", "--json", stdout=out)
    assert json.loads(out.getvalue())["title_sources"] == {
        "title": "Harbour plan approved",
        "h1": "Promenade to grow by two kilometres",
    }


def test_extract_shows_the_organisation_credited_when_no_person_is(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE.replace("By Jane Doe", "BBC News"), "utf-8")
    out = io.StringIO()
    call_command("extract", str(path), stdout=out)
    text = out.getvalue()
    assert "Authors:   -" in text
    assert "Credited:  BBC News (no person named)" in text
