"""``newsdesk extract (URL | FILE | -) [--url URL] [--json]``: run the article extractor.

A URL is fetched through the guarded client (:mod:`newsdesk.lib.http`); a file or stdin
is read as is and never fetched (``--url`` tells the extractor where the page came from,
for canonical URLs and relative links).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.articles.extract import Extraction, extract


class Command(BaseCommand):
    help = "Extract title, authors, dates, language and body text from one article page."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="http(s) URL to fetch, a file path, or - for stdin")
        parser.add_argument("--url", default=None, help="the page's URL (for a file or stdin)")
        parser.add_argument("--json", action="store_true", help="print a JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        source: str = options["source"]
        url: str | None = options["url"]
        if source.lower().startswith(("http://", "https://")):
            body, url = _fetch(source)
        elif source == "-":
            body = sys.stdin.buffer.read()
        else:
            path = Path(source)
            if not path.is_file():
                raise CommandError(f"no such file: {source}")
            body = path.read_bytes()
        result = extract(body, url)
        if options["json"]:
            self.stdout.write(json.dumps(as_json(result), indent=2, ensure_ascii=False))
        else:
            self.stdout.write("\n".join(as_lines(result)))


def _fetch(url: str) -> tuple[bytes, str]:
    from newsdesk.lib.http import FetchError, FetchRefused, fetch
    from newsdesk.sources.http_policy import policy_from_settings

    try:
        response = fetch(url, policy=policy_from_settings())
    except FetchRefused as exc:
        raise CommandError(f"refused: {exc}") from exc
    except FetchError as exc:
        raise CommandError(f"fetch failed: {exc}") from exc
    if response.status >= 400:
        raise CommandError(f"HTTP {response.status} from {response.url}")
    return bytes(response.body), str(response.url)


def as_json(result: Extraction) -> dict[str, object]:
    return {
        "title": result.title,
        "authors": list(result.authors),
        "published": result.published.isoformat() if result.published else None,
        "modified": result.modified.isoformat() if result.modified else None,
        "language": result.language,
        "canonical_url": result.canonical_url,
        "image": result.image,
        "text": result.text,
        "html": result.html,
    }


def as_lines(result: Extraction) -> list[str]:
    def show(value: object) -> str:
        return "-" if value in (None, "", ()) else str(value)

    lines = [
        f"Title:     {show(result.title)}",
        f"Authors:   {show(', '.join(result.authors))}",
        f"Published: {show(result.published.isoformat() if result.published else None)}",
        f"Modified:  {show(result.modified.isoformat() if result.modified else None)}",
        f"Language:  {show(result.language)}",
        f"Canonical: {show(result.canonical_url)}",
        f"Image:     {show(result.image)}",
    ]
    if not result.is_article:
        lines.append(f"Not an article: {result.reason}")
    lines += ["", result.text]
    return lines
