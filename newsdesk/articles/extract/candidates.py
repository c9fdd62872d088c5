"""Candidate body extractions: trafilatura, JSON-LD ``articleBody`` and a DOM-density extractor."""

from __future__ import annotations

import html as htmllib
import logging
import re
from typing import Any

from .blocks import Block
from .dom import HtmlElement, klass, norm_space

log = logging.getLogger(__name__)

# Embeds and widgets that never belong to the article text; pruned before trafilatura runs.
PRUNE_XPATH = (
    '//blockquote[contains(@class, "twitter-tweet") or contains(@class, "instagram-media") '
    'or contains(@class, "tiktok-embed") or contains(@class, "reddit-card") '
    'or contains(@class, "bluesky-embed") or contains(@class, "threads-post") '
    'or contains(@class, "twitter-video")]'
)
_esc = htmllib.escape


# --------------------------------------------------------------------------- trafilatura


def _inline(el: Any, parts: list[str], links: list[int]) -> None:
    """Serialise the inside of a trafilatura XML element as HTML."""
    if el.text:
        parts.append(_esc(el.text, quote=False))
    for child in el:
        tag = child.tag
        if tag == "ref":
            inner: list[str] = []
            _inline(child, inner, links)
            inner_html = "".join(inner)
            target = child.get("target") or ""
            links[0] += len(norm_space("".join(child.itertext())))
            if target.startswith(("http://", "https://")):
                parts.append(f'<a href="{_esc(target)}">{inner_html}</a>')
            else:
                parts.append(inner_html)
        elif tag == "hi":
            rend = child.get("rend") or ""
            wrap = "strong" if "b" in rend else "em" if "i" in rend else ""
            inner = []
            _inline(child, inner, links)
            parts.append(f"<{wrap}>{''.join(inner)}</{wrap}>" if wrap else "".join(inner))
        elif tag == "lb":
            parts.append("<br>")
        elif tag == "graphic":
            pass
        else:
            _inline(child, parts, links)
        if child.tail:
            parts.append(_esc(child.tail, quote=False))


def _plain(el: Any) -> str:
    return norm_space("".join(el.itertext()))


def blocks_from_trafilatura(body: Any) -> list[Block]:
    out: list[Block] = []
    if body is None:
        return out
    for el in body:
        tag = el.tag
        if tag in ("p", "head", "quote", "code", "div"):
            text = _plain(el)
            if not text:
                continue
            parts: list[str] = []
            links = [0]
            _inline(el, parts, links)
            inner = norm_space("".join(parts))
            if tag == "head":
                rend = el.get("rend") or "h2"
                htag = rend if rend in ("h2", "h3", "h4") else "h2" if rend == "h1" else "h3"
                out.append(Block(htag, text, f"<{htag}>{inner}</{htag}>", links[0]))
            elif tag == "quote":
                out.append(
                    Block("blockquote", text, f"<blockquote><p>{inner}</p></blockquote>", links[0])
                )
            elif tag == "code":
                out.append(Block("pre", text, f"<pre>{_esc(text)}</pre>"))
            else:
                out.append(Block("p", text, f"<p>{inner}</p>", links[0]))
        elif tag == "list":
            items: list[str] = []
            texts: list[str] = []
            links = [0]
            for item in el.iter("item"):
                text = _plain(item)
                if not text:
                    continue
                parts = []
                _inline(item, parts, links)
                items.append(f"<li>{norm_space(''.join(parts))}</li>")
                texts.append(text)
            if items:
                ltag = "ol" if (el.get("rend") or "").startswith("ol") else "ul"
                out.append(
                    Block(ltag, "\n".join(texts), f"<{ltag}>{''.join(items)}</{ltag}>", links[0])
                )
        elif tag == "graphic":
            src = el.get("src") or ""
            if src.startswith(("http://", "https://")):
                alt = el.get("alt") or ""
                out.append(
                    Block(
                        "figure", "", f'<figure><img src="{_esc(src)}" alt="{_esc(alt)}"></figure>'
                    )
                )
        elif tag == "table":
            for row in el.iter("row"):
                cells = [_plain(c) for c in row.iter("cell")]
                text = " | ".join(c for c in cells if c)
                if text:
                    out.append(Block("p", text, f"<p>{_esc(text)}</p>"))
    return out


def trafilatura_blocks(
    tree: HtmlElement, url: str | None, *, fast: bool, precision: bool = True, recall: bool = False
) -> list[Block]:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            favor_precision=precision,
            favor_recall=recall,
            fast=fast,
            include_links=True,
            include_images=False,
            include_formatting=True,
            include_comments=False,
            include_tables=True,
            with_metadata=False,
            deduplicate=False,
            prune_xpath=PRUNE_XPATH,
        )
    except Exception:  # trafilatura is one candidate among several
        log.debug("trafilatura failed on %s", url, exc_info=True)
        return []
    if doc is None:
        return []
    return blocks_from_trafilatura(getattr(doc, "body", None))


# --------------------------------------------------------------------------- JSON-LD

_TAG = re.compile(r"<[^>]+>")
_PARA_BREAK = re.compile(r"\s*\n\s*(?:\n\s*)*")


def jsonld_body(article: dict[str, Any] | None) -> str | None:
    """``articleBody`` as plain text, ``None`` when absent or implausibly short."""
    if not article:
        return None
    body = article.get("articleBody")
    if isinstance(body, list):
        body = "\n".join(x for x in body if isinstance(x, str))
    if not isinstance(body, str):
        return None
    if "<" in body and ">" in body:
        body = _TAG.sub("\n", re.sub(r"(?i)<br\s*/?>", "\n", body))
    body = htmllib.unescape(body)
    body = "\n".join(norm_space(x) for x in _PARA_BREAK.split(body) if norm_space(x))
    return body if len(body) >= 200 else None


# --------------------------------------------------------------------------- DOM density

_SKIP_TAGS = frozenset(
    {"script", "style", "nav", "footer", "aside", "form", "noscript", "button", "svg",
     "iframe", "select", "template", "figcaption", "figure", "menu", "dialog", "header"}
)  # fmt: skip
NEGATIVE_WORDS = frozenset(
    {
        "comment", "comments", "related", "share", "sharing", "social", "promo", "promotion",
        "newsletter", "footer", "sidebar", "recirc", "recirculation", "popular", "trending",
        "advert", "advertisement", "ad", "ads", "adslot", "sponsor", "sponsored", "breadcrumb",
        "breadcrumbs", "subscribe", "subscription", "cookie", "cookies", "consent", "modal",
        "menu", "nav", "navbar", "navigation", "masthead", "outbrain", "taboola", "signup",
        "mostread", "readmore", "bio", "disclaimer", "caption", "toolbar", "widget", "teaser",
        "recommended", "recommendations", "hidden", "tags", "topics", "banner", "card", "cards",
        "embed", "podcast", "login", "signin", "rating", "survey", "toc", "recent",
        "pagination", "copyright", "credit", "credits", "byline", "author",
        "authors", "headline", "dateline", "timestamp", "alert", "gallery", "slideshow",
        "newsletters", "donate", "donation", "support", "shop", "affiliate", "commercial",
        "trust", "standards", "disclosure", "feedback", "correction-form", "print",
    }
)  # fmt: skip
_CLASS_WORDS = re.compile(r"[a-z0-9]+")
POSITIVE = re.compile(
    r"article|body|content|entry|main|post|story|text|prose|rich-text|paragraph|detail"
)
_BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "ul", "ol", "blockquote", "pre", "table"})
_DEPTH = 8
_CONTAINER_TAGS = frozenset(
    {
        "p",
        "div",
        "ul",
        "ol",
        "table",
        "section",
        "article",
        "h1",
        "h2",
        "h3",
        "h4",
        "figure",
        "blockquote",
    }
)


def _div_paragraph(el: Any, min_chars: int) -> bool:
    """A div that holds running text itself, with only inline markup inside: a paragraph.

    Counts the div's own text including what follows inline children (``text <a>link</a>
    more text``), so a paragraph with an early link still counts, while a teaser card whose
    text all sits inside child spans and links does not.
    """
    own = len((el.text or "").strip()) + sum(len((c.tail or "").strip()) for c in el)
    if own < min_chars:
        return False
    return next(el.iterdescendants(*_CONTAINER_TAGS), None) is None


def _node_bad(node: Any) -> bool:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag in _SKIP_TAGS:
        return True
    if node.get("hidden") is not None or node.get("aria-hidden") == "true":
        return True
    if tag in ("html", "body", "article", "main"):
        return False
    words = _CLASS_WORDS.findall(klass(node).replace("_", " "))
    if not any(w in NEGATIVE_WORDS for w in words):
        return False
    # A "share-container" that wraps the whole story is a layout wrapper, not a widget.
    return len(node.text_content()) < 2500


class _Judge:
    """Caches, per element, whether it looks like navigation/boilerplate."""

    def __init__(self) -> None:
        self.bad: dict[Any, bool] = {}

    def is_bad(self, el: Any, stop: Any = None) -> bool:
        node = el
        for _ in range(_DEPTH):
            if node is None or node is stop:
                return False
            verdict = self.bad.get(node)
            if verdict is None:
                verdict = self.bad[node] = _node_bad(node)
            if verdict:
                return True
            node = node.getparent()
        return False


def _link_chars(el: Any) -> int:
    return sum(len(norm_space(a.text_content())) for a in el.iter("a"))


def _inline_html(el: Any) -> str:
    """A DOM element's inside as plain HTML keeping a/em/strong/br."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(_esc(node.text, quote=False))
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in ("script", "style", "noscript", "button", "svg", "template"):
                pass
            elif tag == "a":
                href = child.get("href") or ""
                inner_start = len(parts)
                walk(child)
                inner = "".join(parts[inner_start:])
                del parts[inner_start:]
                if href.startswith(("http://", "https://")):
                    parts.append(f'<a href="{_esc(href)}">{inner}</a>')
                else:
                    parts.append(inner)
            elif tag in ("em", "i", "strong", "b"):
                wrap = "em" if tag in ("em", "i") else "strong"
                parts.append(f"<{wrap}>")
                walk(child)
                parts.append(f"</{wrap}>")
            elif tag == "br":
                parts.append("<br>")
            elif tag:
                walk(child)
            if child.tail:
                parts.append(_esc(child.tail, quote=False))

    walk(el)
    return norm_space("".join(parts))


def _dom_block(el: Any, judge: _Judge, stop: Any) -> Block | None:
    tag = el.tag
    if tag in ("ul", "ol"):
        items = [li for li in el.iter("li") if not judge.is_bad(li, stop)]
        texts = [norm_space(li.text_content()) for li in items]
        pairs = [(li, t) for li, t in zip(items, texts, strict=True) if t]
        if not pairs:
            return None
        text = "\n".join(t for _, t in pairs)
        html = "".join(f"<li>{_inline_html(li)}</li>" for li, _ in pairs)
        return Block(tag, text, f"<{tag}>{html}</{tag}>", _link_chars(el))
    text = norm_space(el.text_content())
    if not text:
        return None
    if tag == "table":
        return Block("p", text, f"<p>{_esc(text)}</p>")
    if tag == "pre":
        return Block("pre", text, f"<pre>{_esc(text)}</pre>")
    if tag == "blockquote":
        return Block(
            "blockquote",
            text,
            f"<blockquote><p>{_inline_html(el)}</p></blockquote>",
            _link_chars(el),
        )
    return Block(tag, text, f"<{tag}>{_inline_html(el)}</{tag}>", _link_chars(el))


def dom_blocks(tree: HtmlElement) -> list[Block]:
    """A readability-style extractor: score containers by their paragraphs, keep the best
    one plus sibling containers that look alike (bodies split around ads and embeds)."""
    judge = _Judge()
    scores: dict[Any, float] = {}
    body = tree.find("body")
    if body is None:
        return []
    for p in body.iter("p", "div"):
        # Some sites set paragraphs as text-only divs.
        if p.tag == "div" and not _div_paragraph(p, 25):
            continue
        text = norm_space(p.text_content())
        if len(text) < 25 or judge.is_bad(p):
            continue
        if _link_chars(p) > 0.5 * len(text):
            continue
        score = 1.0 + text.count(",") + text.count("，") + min(len(text) / 100.0, 3.0)
        parent = p.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
    if not scores:
        return []
    best = max(scores, key=lambda el: scores[el] * (1.15 if POSITIVE.search(klass(el)) else 1.0))
    containers = [best]
    parent = best.getparent()
    if parent is not None:
        sig = (best.tag, best.get("class"))
        top = scores[best]
        containers = [
            sib
            for sib in parent
            if sib is best
            or (
                isinstance(sib.tag, str)
                and sib in scores
                and not judge.is_bad(sib)
                and ((sib.tag, sib.get("class")) == sig or scores[sib] >= 0.3 * top)
            )
        ]
    out: list[Block] = []
    for container in containers:
        _collect(container, judge, container, out)
    return out


def _collect(node: Any, judge: _Judge, stop: Any, out: list[Block]) -> None:
    for el in node:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag:
            continue
        if tag in _SKIP_TAGS or judge.is_bad(el, stop.getparent()):
            continue
        if tag in _BLOCK_TAGS:
            block = _dom_block(el, judge, stop)
            if block is not None and (block.link_density < 0.6 or tag in ("h2", "h3", "h4")):
                out.append(block)
        else:
            # A div holding only text and inline markup is a paragraph in disguise.
            if tag == "div" and _div_paragraph(el, 40):
                block = _dom_block(el, judge, stop)
                if block is not None:
                    out.append(
                        Block(
                            "p",
                            block.text,
                            block.html.replace("<div>", "<p>").replace("</div>", "</p>"),
                            block.link_chars,
                        )
                    )
                continue
            _collect(el, judge, stop, out)
