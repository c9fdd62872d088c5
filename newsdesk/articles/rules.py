"""Operator rules for one site, applied around the extractor.

A ``SiteRule`` names elements with CSS selectors (lxml ``cssselect``): elements to
remove, the body container(s) to keep, and where the title, authors and date are. The
page is narrowed *before* :func:`extract` runs (so its filters, sanitizer and language
detection still apply) and the named fields override what it found *after*. The page's
``<head>`` is always kept: JSON-LD and meta tags still give the other metadata.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from dateutil import parser as dateparser
from django.db.models import Q

from newsdesk.articles.extract import (
    TITLE_SOURCES,
    Extraction,
    decode,
    extract,
    page_titles,
    parse,
)
from newsdesk.articles.models import SiteRule
from newsdesk.sources.models import Outlet

_BY = re.compile(r"^\s*(?:by|von|par|por)\s+", re.I)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")


@dataclass(frozen=True)
class RuleOutcome:
    extraction: Extraction
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- choosing


def rule_for(outlet: Outlet | None, url: str) -> SiteRule | None:
    """The enabled rule for a page: one whose host pattern matches its host wins over
    an outlet-wide rule (no host pattern); among equals the oldest rule."""
    host = (urlsplit(url).hostname or "").lower()
    scope = Q(outlet__isnull=True)
    if outlet is not None:
        scope |= Q(outlet=outlet)
    best: SiteRule | None = None
    for rule in SiteRule.objects.filter(scope, enabled=True).order_by("id"):
        pattern = rule.host_pattern.strip().lower()
        if pattern and host and fnmatchcase(host, pattern):
            return rule
        if not pattern and best is None and rule.outlet_id is not None:
            best = rule
    return best


def selector_errors(rule: SiteRule) -> dict[str, str]:
    """Field name → error for each selector that does not compile."""
    errors = {}
    for name in ("body_selector", "title_selector", "author_selector", "date_selector"):
        value = getattr(rule, name).strip()
        if value and (problem := _compile_problem(value)):
            errors[name] = problem
    for line in _lines(rule.remove_selectors):
        if problem := _compile_problem(line):
            errors["remove_selectors"] = f"{line}: {problem}"
    return errors


def _compiled(selector: str) -> Any:
    # Imported here: lxml.cssselect needs the ``cssselect`` package, and pages of sites
    # without rules must not depend on it.
    from lxml.cssselect import CSSSelector

    return CSSSelector(selector, translator="html")


def _compile_problem(selector: str) -> str | None:
    from lxml.cssselect import SelectorError

    try:
        _compiled(selector)
    except SelectorError as exc:
        return f"not a CSS selector ({exc})"
    return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _select(tree: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    return list(_compiled(selector)(tree))


# --------------------------------------------------------------------------- applying


def extract_with_rule(
    rule: SiteRule | None,
    html: bytes | str,
    url: str,
    *,
    boilerplate: frozenset[str] = frozenset(),
) -> RuleOutcome:
    """Extract ``html`` with ``rule`` applied (plain extraction when rule is None)."""
    if rule is None:
        return RuleOutcome(extract(html, url, boilerplate=boilerplate))
    tree = _parse(html)
    if tree is None:
        return RuleOutcome(extract(html, url, boilerplate=boilerplate), ["page not parsed"])
    notes: list[str] = []
    original = copy.deepcopy(tree)
    narrowed = _narrow(tree, rule, notes)
    source: bytes | str = lxml.html.tostring(tree, encoding="unicode") if narrowed else html
    result = extract(source, url, boilerplate=boilerplate)
    return RuleOutcome(_override(result, original, url, rule, notes), notes)


def _parse(html: bytes | str) -> lxml.html.HtmlElement | None:
    return parse(decode(html))


def _narrow(tree: lxml.html.HtmlElement, rule: SiteRule, notes: list[str]) -> bool:
    """Remove and select in place; True when the page changed."""
    changed = False
    for selector in _lines(rule.remove_selectors):
        hits = [el for el in _select(tree, selector) if el.getparent() is not None]
        for el in hits:
            el.drop_tree()
        notes.append(f"removed {len(hits)} × {selector}")
        changed = changed or bool(hits)
    selector = rule.body_selector.strip()
    if not selector:
        return changed
    containers = _outermost(_select(tree, selector))
    body = tree.find("body")
    if not containers or body is None:
        notes.append(f"body selector {selector} matched nothing: whole page used")
        return changed
    notes.append(f"body: {len(containers)} × {selector}")
    kept = [copy.deepcopy(el) for el in containers]
    for child in list(body):
        body.remove(child)
    body.text = None
    for el in kept:
        el.tail = None
        body.append(el)
    return True


def _outermost(elements: list[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _override(
    result: Extraction, tree: lxml.html.HtmlElement, url: str, rule: SiteRule, notes: list[str]
) -> Extraction:
    changes: dict[str, object] = {}
    if rule.title_selector.strip():
        title = next((t for t in map(_text, _select(tree, rule.title_selector)) if t), "")
        if title:
            changes["title"] = title
        else:
            notes.append("title selector matched nothing")
    elif rule.title_source:
        label = TITLE_SOURCES.get(rule.title_source, rule.title_source)
        pinned = page_titles(tree, url).get(rule.title_source)
        if pinned:
            changes["title"] = pinned
            notes.append(f"title from {label}")
        else:
            notes.append(f"the page has no {label}: title chosen automatically")
    if rule.author_selector.strip():
        names = _names(_select(tree, rule.author_selector))
        if names:
            changes["authors"] = names
        else:
            notes.append("author selector matched nothing")
    if rule.date_selector.strip():
        when = next(filter(None, map(_date_of, _select(tree, rule.date_selector))), None)
        if when is not None:
            changes["published"] = when
        else:
            notes.append("date selector found no date")
    return replace(result, **changes) if changes else result  # type: ignore[arg-type]


def _text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _names(elements: list[lxml.html.HtmlElement]) -> tuple[str, ...]:
    names: list[str] = []
    for el in elements:
        for part in _NAME_SPLIT.split(_BY.sub("", _text(el))):
            if part and part not in names and len(part) <= 100:
                names.append(part)
    return tuple(names)


def _date_of(el: lxml.html.HtmlElement) -> dt.datetime | None:
    for raw in (el.get("datetime"), el.get("content"), el.get("value"), _text(el)):
        if not raw or not raw.strip():
            continue
        try:
            when = dateparser.parse(raw.strip(), fuzzy=True)
        except (ValueError, OverflowError):
            continue
        # A date without a zone is read as UTC: wrong by hours at worst, never by days.
        return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return None


def preview(
    rule: SiteRule, html: bytes | str, url: str, boilerplate: frozenset[str] = frozenset()
) -> tuple[Extraction, RuleOutcome]:
    """The page extracted without and with the rule, for the admin and the CLI."""
    return (
        extract(html, url, boilerplate=boilerplate),
        extract_with_rule(rule, html, url, boilerplate=boilerplate),
    )
