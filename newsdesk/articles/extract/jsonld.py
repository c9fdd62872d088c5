"""JSON-LD blocks: collected once per page, flattened, the main article object picked."""

from __future__ import annotations

import html as htmllib
import json
import re
from typing import Any

from .dom import HtmlElement, printable

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "blogposting",
        "liveblogposting", "socialmediaposting", "scholarlyarticle", "techarticle",
        "report", "advertisercontentarticle", "satiricalarticle", "medicalscholarlyarticle",
    }
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# JSON strings can bring through escapes what no stored text should hold (NUL, which
# PostgreSQL refuses outright, other controls, lone surrogates no encoder takes); this
# tells, on the raw text, whether the parsed strings need cleaning.
_ESCAPED = re.compile(r"\\u(?:00[01][0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2})")
JsonObj = dict[str, Any]


def types_of(obj: JsonObj) -> set[str]:
    raw = obj.get("@type")
    if isinstance(raw, str):
        return {raw.lower().rsplit("/", 1)[-1]}
    if isinstance(raw, list):
        return {t.lower().rsplit("/", 1)[-1] for t in raw if isinstance(t, str)}
    return set()


def _load(text: str) -> Any:
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:]
    if text.endswith("-->"):
        text = text[:-3]
    text = text.strip().rstrip(";")
    # RecursionError: arrays nested tens of thousands deep, which no real page has; the
    # block is ignored like any other unreadable one, the page is not.
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        try:
            data = json.loads(_CONTROL.sub(" ", text), strict=False)
        except (ValueError, RecursionError):
            return None
    if not _ESCAPED.search(text):
        return data
    try:
        return _scrubbed(data)
    except RecursionError:  # nested nearly as deep as json.loads allows
        return None


def _scrubbed(node: Any) -> Any:
    """``node`` with the unwanted characters that escapes brought in dropped from every
    string, keys included."""
    if isinstance(node, str):
        return printable(node)
    if isinstance(node, list):
        return [_scrubbed(item) for item in node]
    if isinstance(node, dict):
        return {printable(k): _scrubbed(v) for k, v in node.items()}
    return node


def _flatten(node: Any, out: list[JsonObj], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            _flatten(item, out, depth + 1)
    elif isinstance(node, dict):
        out.append(node)
        graph = node.get("@graph")
        if graph is not None:
            _flatten(graph, out, depth + 1)
        main = node.get("mainEntity")
        if isinstance(main, dict) and types_of(main) & ARTICLE_TYPES:
            _flatten(main, out, depth + 1)


def collect(tree: HtmlElement) -> list[JsonObj]:
    """Every JSON object in the page's ld+json scripts, ``@graph`` flattened."""
    out: list[JsonObj] = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind or not script.text:
            continue
        _flatten(_load(script.text), out)
    return out


def main_article(objects: list[JsonObj]) -> JsonObj | None:
    """The article object of the page (the one with the longest body wins ties)."""
    best: JsonObj | None = None
    best_score = -1
    for obj in objects:
        kinds = types_of(obj)
        if not kinds & ARTICLE_TYPES:
            continue
        body = obj.get("articleBody")
        score = 10 + (len(body) if isinstance(body, str) else 0)
        if "headline" in obj:
            score += 5
        if score > best_score:
            best, best_score = obj, score
    return best


def first_of_type(objects: list[JsonObj], names: set[str]) -> JsonObj | None:
    for obj in objects:
        if types_of(obj) & names:
            return obj
    return None


def as_text(value: Any) -> str | None:
    """A JSON-LD value as one string (first of a list, ``name``/``@value`` of an object)."""
    if isinstance(value, str):
        # CMSs often HTML-escape JSON-LD strings ("Kohberger&#8217;s"): readers want the text.
        plain = htmllib.unescape(value) if "&" in value else value
        return plain.strip() or None
    if isinstance(value, list):
        for item in value:
            text = as_text(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        for key in ("name", "@value", "url", "contentUrl", "@id"):
            text = as_text(value.get(key))
            if text:
                return text
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
