"""Live blogs: updates published as ``LiveBlogPosting.liveBlogUpdate`` in JSON-LD.

Many live-blog pages render the updates from a script or lazily, so the visible DOM holds
only the intro. Schema.org gives every update (headline + ``articleBody``) in page order;
updates the DOM extraction already holds are not repeated.
"""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

from .blocks import Block, shingle_set
from .dom import norm_space
from .jsonld import JsonObj, types_of

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"(?i)<br\s*/?>|</p>|</li>|</h[1-6]>")
# An update already counts as present when half of its 4-grams are in the body.
_PRESENT = 0.5
# When the body already holds more than one update, the page renders its updates in HTML
# and the others are older pages of the blog that readers do not see: append nothing.
_RENDERED = 1


def _live_objects(objects: list[JsonObj]) -> list[JsonObj]:
    return [o for o in objects if "liveblogposting" in types_of(o)]


def _paragraphs(body: str) -> list[str]:
    if "<" in body and ">" in body:
        body = _TAG.sub("", _BREAK.sub("\n", body))
    body = htmllib.unescape(body)
    return [p for p in (norm_space(x) for x in body.split("\n")) if p]


def _update(item: Any) -> tuple[str, list[str]] | None:
    if not isinstance(item, dict):
        return None
    body = item.get("articleBody") or item.get("text")
    if isinstance(body, list):
        body = "\n".join(x for x in body if isinstance(x, str))
    if not isinstance(body, str):
        return None
    paras = _paragraphs(body)
    if not paras:
        return None
    headline = item.get("headline")
    head = norm_space(htmllib.unescape(headline)) if isinstance(headline, str) else ""
    return head, paras


def updates(objects: list[JsonObj]) -> list[tuple[str, list[str]]]:
    """(headline, paragraphs) of every live-blog update, in the order the page gives them."""
    out: list[tuple[str, list[str]]] = []
    for obj in _live_objects(objects):
        items = obj.get("liveBlogUpdate")
        for item in items if isinstance(items, list) else [items]:
            update = _update(item)
            if update is not None:
                out.append(update)
    return out


def _present(paras: list[str], have: set[tuple[str, ...]]) -> bool:
    shingles = set().union(*(shingle_set(p) for p in paras))
    return bool(shingles) and len(shingles & have) / len(shingles) >= _PRESENT


def _blocks(head: str, paras: list[str]) -> list[Block]:
    esc = htmllib.escape
    out = []
    if head and not paras[0].startswith(head):
        out.append(Block("h3", head, f"<h3>{esc(head, quote=False)}</h3>"))
    out.extend(Block("p", p, f"<p>{esc(p, quote=False)}</p>") for p in paras)
    return out


def with_updates(blocks: list[Block], objects: list[JsonObj]) -> list[Block]:
    """``blocks`` plus the live-blog updates they lack, appended after the intro."""
    found = updates(objects)
    if not found:
        return blocks
    have: set[tuple[str, ...]] = set()
    for b in blocks:
        have |= shingle_set(b.text)
    missing = [(h, p) for h, p in found if not _present(p, have)]
    present = len(found) - len(missing)
    if not missing or present > _RENDERED:
        return blocks
    extra = [b for h, p in missing for b in _blocks(h, p)]
    return blocks + extra
