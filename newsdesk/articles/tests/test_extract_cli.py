"""The ``extract`` management command on a file and on stdin (no network)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

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
