"""``newsdesk extract (URL | FILE | -) [--url URL] [--json]``: run the article extractor.

A URL is fetched through the guarded client (:mod:`newsdesk.lib.http`); a file or stdin
is read as is and never fetched (``--url`` tells the extractor where the page came from,
for canonical URLs and relative links).

With the site's knowledge from the database (an operator checking a rule):

    newsdesk extract URL --rule-from-db [--compare]   # the enabled rule for that site
    newsdesk extract page.html --url URL --rule 7     # rule 7, even while disabled
    newsdesk extract URL --learned                    # with the site's learned boilerplate
    newsdesk extract page.html --titles               # every headline source, for a rule

A URL of a stored article then uses its kept page when there is one (no fetch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.articles.extract import Extraction, extract

if TYPE_CHECKING:
    from newsdesk.articles.models import SiteRule
    from newsdesk.sources.models import Outlet


class Command(BaseCommand):
    help = "Extract title, authors, dates, language and body text from one article page."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="http(s) URL to fetch, a file path, or - for stdin")
        parser.add_argument("--url", default=None, help="the page's URL (for a file or stdin)")
        parser.add_argument("--json", action="store_true", help="print a JSON object")
        parser.add_argument(
            "--titles",
            action="store_true",
            help="also list the headline each part of the page gives (og:title, JSON-LD, "
            "<title>, <h1>…), to choose a SiteRule title source",
        )
        site = parser.add_argument_group("site knowledge from the database")
        site.add_argument(
            "--rule-from-db", action="store_true", help="apply the site's enabled SiteRule"
        )
        site.add_argument("--rule", type=int, default=None, help="apply SiteRule ID")
        site.add_argument(
            "--learned", action="store_true", help="drop the site's learned boilerplate"
        )
        site.add_argument(
            "--compare", action="store_true", help="show the page without and with the rule"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: str = options["source"]
        url: str | None = options["url"]
        uses_db = bool(options["rule_from_db"] or options["rule"] or options["learned"])
        outlet: Outlet | None = None
        if source.lower().startswith(("http://", "https://")):
            body, url, outlet = _page_from_db(source) if uses_db else (*_fetch(source), None)
        elif source == "-":
            body = sys.stdin.buffer.read()
        else:
            path = Path(source)
            if not path.is_file():
                raise CommandError(f"no such file: {source}")
            body = path.read_bytes()
        titles = _titles(body, url) if options["titles"] else None
        if not uses_db:
            self._show(extract(body, url), options["json"], titles)
            return
        self._with_site(body, url, outlet, options, titles)

    def _with_site(
        self,
        body: bytes,
        url: str | None,
        outlet: Outlet | None,
        options: dict[str, Any],
        titles: dict[str, str] | None,
    ) -> None:
        from newsdesk.articles.boilerplate import learned
        from newsdesk.articles.rules import extract_with_rule

        page_url = url or "https://example.invalid/"
        outlet = outlet or _outlet_for(page_url)
        rule = _rule(options["rule"], options["rule_from_db"], outlet, page_url)
        boilerplate = learned(outlet) if options["learned"] else frozenset()
        outcome = extract_with_rule(rule, body, page_url, boilerplate=boilerplate)
        if not options["compare"]:
            self._show(outcome.extraction, options["json"], titles)
            for note in [f"rule: {rule or 'none'}", *outcome.notes]:
                self.stderr.write(note)
            return
        plain = extract(body, url, boilerplate=boilerplate)
        if options["json"]:
            data = {
                "rule": rule.pk if rule else None,
                "notes": outcome.notes,
                "without": as_json(plain),
                "with": as_json(outcome.extraction),
            }
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        lines = [f"Rule: {rule or 'none'}", *(f"  {note}" for note in outcome.notes)]
        lines += ["", "=== Without the rule", *as_lines(plain)]
        lines += ["", "=== With the rule", *as_lines(outcome.extraction)]
        self.stdout.write("\n".join(lines))

    def _show(
        self, result: Extraction, as_json_object: bool, titles: dict[str, str] | None = None
    ) -> None:
        if as_json_object:
            data = as_json(result)
            if titles is not None:
                data["title_sources"] = titles
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        lines = as_lines(result)
        if titles is not None:
            lines[1:1] = title_lines(titles, result.title)
        self.stdout.write("\n".join(lines))


def _titles(body: bytes, url: str | None) -> dict[str, str]:
    from newsdesk.articles.extract import decode, page_titles, parse

    tree = parse(decode(body))
    return page_titles(tree, url) if tree is not None else {}


def title_lines(titles: dict[str, str], chosen: str | None) -> list[str]:
    """The headline of each source, the chosen one marked, in SiteRule.title_source terms."""
    from newsdesk.articles.extract import TITLE_SOURCES

    lines = ["Headline sources (SiteRule title source: value; * = used):"]
    for key, label in TITLE_SOURCES.items():
        if key in titles:
            mark = "*" if titles[key] == chosen else " "
            lines.append(f"  {mark} {key:8} {label:20} {titles[key]}")
        else:
            lines.append(f"    {key:8} {label:20} -")
    return lines


def _page_from_db(url: str) -> tuple[bytes, str, Outlet | None]:
    from newsdesk.articles.pages import PageUnavailable, page_for

    try:
        page = page_for(url)
    except PageUnavailable as exc:
        raise CommandError(str(exc)) from exc
    return page.body, page.url, page.outlet


def _outlet_for(url: str) -> Outlet | None:
    """The outlet a page belongs to: a stored article's, else one whose home or source
    is on the page's host and port, else on the same site."""
    from newsdesk.articles.identity import known_article
    from newsdesk.sources.models import Outlet
    from newsdesk.sources.parse import same_site

    article = known_article(url)
    if article is not None:
        return article.outlet
    outlets = list(Outlet.objects.prefetch_related("sources"))
    homes = {
        o.pk: [u for u in [o.home_url, *(s.url for s in o.sources.all())] if u] for o in outlets
    }
    netloc = urlsplit(url).netloc.lower()
    for outlet in outlets:
        if any(urlsplit(home).netloc.lower() == netloc for home in homes[outlet.pk]):
            return outlet
    for outlet in outlets:
        if any(same_site(home, url) for home in homes[outlet.pk]):
            return outlet
    return None


def _rule(rule_id: int | None, from_db: bool, outlet: Outlet | None, url: str) -> SiteRule | None:
    from newsdesk.articles.models import SiteRule
    from newsdesk.articles.rules import rule_for

    if rule_id is not None:
        rule = SiteRule.objects.filter(pk=rule_id).first()
        if rule is None:
            raise CommandError(f"no SiteRule {rule_id}")
        return rule
    return rule_for(outlet, url) if from_db else None


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
        *([f"Credited:  {result.credit} (no person named)"] if result.credit else []),
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
