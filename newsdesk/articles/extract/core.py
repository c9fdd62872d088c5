"""``extract()``: one parse, metadata, candidate bodies, choice, filters, language."""

from __future__ import annotations

import re

from . import metadata as md
from .blocks import Block, blocks_html, blocks_text, fingerprint, normalise, shingle_set, tokens
from .byline import body_byline
from .candidates import dom_blocks, jsonld_body, trafilatura_blocks
from .dom import HtmlElement, decode, looks_like_html, parse, printable, text_of
from .filters import dedupe, filter_blocks
from .language import detect_language
from .liveblog import with_updates
from .model import Extraction
from .sanitize import sanitize_html

MIN_ARTICLE_CHARS = 400
# Limits against hostile pages, far above any real article: the largest of the 338 pages
# in the extraction dev set has 4,274 elements; of its 258 labelled pages the longest
# headline has 175 characters and the longest byline 9 names. Extraction time grows with
# the element count (trafilatura's passes most of all), so a crafted page of a million
# elements would hold a worker for minutes; over the limit it is recorded as not an
# article, unread.
MAX_ELEMENTS = 40_000
MAX_TITLE_CHARS = 500
MAX_AUTHORS = 20
# A JSON-LD articleBody longer than this is not taken as the body (the longest labelled
# body in the dev set has 40,398 characters); the page's markup is read instead.
MAX_LD_BODY_CHARS = 400_000
_SENT_END = re.compile(r"[.!?…\"”’»)]\s*$")
_PAYWALL = re.compile(
    r"subscribe to (?:continue|read)|to continue reading|this (?:article|content) is (?:only )?"
    r"(?:available )?(?:for|to) (?:subscribers|members)|already a subscriber|"
    r"become a (?:subscriber|member) to|unlock this article|subscriber[- ]only|"
    r"jetzt (?:weiterlesen|abonnieren)|réservé aux abonnés|solo para suscriptores|"
    r"exklusiv für abonnenten|plus-artikel",
    re.I,
)
_COOKIE = re.compile(
    r"we use cookies|uses cookies|accept (?:all )?cookies|cookie (?:policy|settings|consent)|"
    r"your privacy choices|consent to (?:the use of|our use of)|before you continue|"
    r"wir verwenden cookies|nous utilisons des cookies|utilizamos cookies",
    re.I,
)
_ARTICLE_OG = frozenset({"article", "news", "blog", "newsarticle"})


Shingles = frozenset[tuple[str, ...]]


def _union(blocks: list[Block]) -> Shingles:
    out: set[tuple[str, ...]] = set()
    for b in blocks:
        out |= shingle_set(b.text)
    return frozenset(out)


def _coverage(block: Block, ref: Shingles, ref_norm: str) -> float:
    sh = shingle_set(block.text)
    if not sh:
        return 0.0
    if len(tokens(block.text)) < 6:
        return 1.0 if normalise(block.text) in ref_norm else 0.0
    return len(sh & ref) / len(sh)


def _text_blocks(text: str) -> list[Block]:
    import html as htmllib

    return [
        Block("p", line, f"<p>{htmllib.escape(line, quote=False)}</p>")
        for line in text.split("\n")
        if line.strip()
    ]


def _containment(small: list[Block], big: list[Block]) -> float:
    a = _union(small)
    return len(a & _union(big)) / len(a) if a else 0.0


# A sentence end glued to the next sentence: paragraphs serialised without a break.
_GLUE = re.compile(r"[a-z0-9][.!?][\"”’]?[A-Z][a-z]")


def _glued(blocks: list[Block]) -> int:
    return sum(len(_GLUE.findall(b.text)) for b in blocks)


def _split_better(traf: list[Block], dom: list[Block]) -> bool:
    """The DOM candidate has the same text as trafilatura's, cut into more paragraphs where
    trafilatura glued sentences of different paragraphs together."""
    return (
        _glued(traf) >= 1
        and _glued(dom) == 0
        and len(dom) > len(traf)
        and _containment(dom, traf) >= 0.8
    )


def _chars(blocks: list[Block]) -> int:
    return sum(len(b.text) for b in blocks)


def _vouched(block: Block, ref: Shingles, ref_norm: str) -> bool:
    return block.tag == "figure" or _coverage(block, ref, ref_norm) >= 0.5


def _prose(block: Block) -> bool:
    """A real paragraph: long, sentence-final, few links."""
    return (
        block.tag == "p"
        and block.words >= 35
        and block.link_density < 0.25
        and bool(_SENT_END.search(block.text))
    )


def _guided_by(blocks: list[Block], ref_text: str) -> tuple[list[Block], float]:
    """Keep blocks the reference vouches for, plus real paragraphs it lacks (truncated refs)."""
    ref = shingle_set(ref_text)
    ref_norm = normalise(ref_text)
    kept = [b for b in blocks if _vouched(b, ref, ref_norm) or _prose(b)]
    return kept, (len(_union(kept) & ref) / len(ref) if ref else 0.0)


def _trim_ends(blocks: list[Block], other: list[Block]) -> list[Block]:
    """Drop leading/trailing blocks the other extractor does not have."""
    ref = _union(other)
    ref_norm = normalise(blocks_text(other))
    ok = [_vouched(b, ref, ref_norm) or _prose(b) for b in blocks]
    if not any(ok):
        return blocks
    first = ok.index(True)
    last = len(ok) - 1 - ok[::-1].index(True)
    return blocks[first : last + 1]


def choose_body(tree: HtmlElement, url: str | None, ld_text: str | None) -> list[Block]:
    """Run the candidate extractors and pick or merge by quality signals."""
    traf = trafilatura_blocks(tree, url, fast=True)
    dom = dom_blocks(tree)
    if _chars(traf) < 250 or _chars(dom) > 1.4 * _chars(traf):
        # The fast pass found little: let trafilatura run its own fallbacks too.
        slow = trafilatura_blocks(tree, url, fast=False)
        if _chars(slow) > _chars(traf):
            traf = slow
    if ld_text:
        best: list[Block] = []
        best_recall = 0.0
        for cand in (traf, dom):
            kept, recall = _guided_by(cand, ld_text)
            if recall > best_recall + 0.02:
                best, best_recall = kept, recall
        if best_recall >= 0.7:
            return best
        if best_recall < 0.4 or _chars(best) < 0.5 * len(ld_text):
            return _text_blocks(ld_text)
        return best
    if not traf:
        return dom
    if not dom:
        return traf
    inside = _containment(traf, dom)
    if _chars(dom) > 1.5 * _chars(traf) and inside > 0.9:
        # trafilatura kept a fragment of a body the DOM scorer sees whole.
        return dom
    if inside >= 0.8 and _split_better(traf, dom):
        # Same text, but trafilatura ran sibling paragraph divs together ("Monday.The"):
        # the DOM blocks keep the paragraphs, so credit lines and furniture stay separable.
        return dom
    if inside >= 0.8:
        return _trim_ends(traf, dom)
    return traf


def _not_article_reason(
    pm: md.PageMeta, tree: HtmlElement, text: str, url: str | None
) -> str | None:
    og_type = (pm.first("og:type") or "").lower()
    is_typed_article = pm.ld_article is not None or og_type in _ARTICLE_OG
    if len(text) < MIN_ARTICLE_CHARS:
        # The whole page's text is only needed to explain a short result (costly on big pages).
        page_text = text_of(tree.body) if tree.find("body") is not None else ""
        low = page_text[:20000]
        if _PAYWALL.search(low) or _free_flag(pm) is False:
            return "paywall stub"
        if _COOKIE.search(low) and len(page_text) < 3000:
            return "cookie wall"
        if not is_typed_article and _link_heavy(tree):
            return "index page"
        return "too short"
    if not is_typed_article and _link_heavy(tree) and len(text) < 1500:
        return "index page"
    return None


def _free_flag(pm: md.PageMeta) -> bool | None:
    art = pm.ld_article
    if not art:
        return None
    flag = art.get("isAccessibleForFree")
    if isinstance(flag, str):
        return flag.strip().lower() not in ("false", "no", "0")
    return flag if isinstance(flag, bool) else None


def _link_heavy(tree: HtmlElement) -> bool:
    body = tree.find("body")
    if body is None:
        return False
    total = len(" ".join(body.itertext()).split())
    linked = sum(len(" ".join(a.itertext()).split()) for a in body.iter("a"))
    anchors = sum(1 for _ in body.iter("a"))
    return anchors >= 30 and linked >= 0.35 * max(total, 1)


def _empty(reason: str, **kw: object) -> Extraction:
    base: dict[str, object] = dict(
        title=None, authors=(), published=None, modified=None, language=None, canonical_url=None,
        image=None, site_name=None, section=None, text="", html="", is_article=False, reason=reason,
    )  # fmt: skip
    base.update(kw)
    return Extraction(**base)  # type: ignore[arg-type]


def extract(
    html: str | bytes, url: str | None = None, *, boilerplate: frozenset[str] = frozenset()
) -> Extraction:
    """Extract article metadata and body from one page.

    ``boilerplate`` holds block fingerprints (see :func:`block_fingerprints`) learned from
    the same site's other pages; blocks with those fingerprints are dropped.
    """
    text_in = decode(html)
    if not looks_like_html(text_in):
        return _empty("not HTML")
    tree = parse(text_in)
    if tree is None:
        return _empty("not HTML")
    if element_count(tree) > MAX_ELEMENTS:
        return _empty(f"too large for an article (more than {MAX_ELEMENTS:,} elements)")
    pm = md.read_page_meta(tree)
    site = md.site_name(pm)
    title = clip_title(md.title(pm, tree, site, url))
    authors = md.authors(pm, tree, site)[:MAX_AUTHORS]
    published, modified = md.dates(pm, tree, url)
    ld_text = _ld_text_if_sane(pm)
    blocks = with_updates(choose_body(tree, url, ld_text), pm.ld_objects)
    blocks = filter_blocks(dedupe(blocks), authors=authors, boilerplate=boilerplate)
    if not authors:
        # No author in the metadata or byline markup: look for one signed in the text.
        authors, blocks = body_byline(blocks, site, md.publisher_name(pm))
        authors = authors[:MAX_AUTHORS]
    if (
        blocks
        and title
        and blocks[0].tag in ("h2", "h3", "h4", "p")
        and normalise(blocks[0].text) == normalise(title)
    ):
        blocks = blocks[1:]
    text = printable(blocks_text(blocks))
    language = detect_language(text or (title or ""), pm.html_lang)
    reason = _not_article_reason(pm, tree, text, url)
    credit = None if authors else md.author_credit(pm)
    section = md.section(pm)
    return Extraction(
        title=printable(title) if title else title,
        authors=tuple(name for a in authors if (name := printable(a).strip())),
        published=published,
        modified=modified,
        language=language,
        canonical_url=md.canonical_url(pm, url),
        image=md.image(pm, url),
        site_name=printable(site) if site else site,
        section=printable(section) if section else section,
        text=text,
        html=printable(sanitize_html(blocks_html(blocks))),
        is_article=reason is None,
        reason=reason,
        credit=printable(credit) if credit else credit,
    )


def element_count(tree: HtmlElement, stop: int = MAX_ELEMENTS) -> int:
    """Elements in the tree, counted to one past ``stop`` at most (enough to know it is
    over: a huge page is not walked to its end)."""
    count = 0
    for _ in tree.iter():
        count += 1
        if count > stop:
            break
    return count


def clip_title(title: str | None) -> str | None:
    """A headline cut at a word before ``MAX_TITLE_CHARS``, marked with an ellipsis."""
    if title is None or len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[: MAX_TITLE_CHARS - 1]
    if " " in cut[MAX_TITLE_CHARS // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def _ld_text_if_sane(pm: md.PageMeta) -> str | None:
    art = pm.ld_article
    if art is None or "liveblogposting" in " ".join(sorted(_types(art))):
        return None
    body = jsonld_body(art)
    if body is None or len(body) > MAX_LD_BODY_CHARS:
        return None
    if body.rstrip().endswith(("...", "…")) and len(body) < 1200:
        return None  # a teaser, not the body
    return body


def _types(obj: dict[str, object]) -> set[str]:
    from .jsonld import types_of

    return types_of(obj)


def block_fingerprints(html: str | bytes, url: str | None = None) -> set[str]:
    """Fingerprints of every text block on a page.

    The caller counts them per site over distinct articles and passes the recurring
    ones back to :func:`extract` as ``boilerplate``.
    """
    text_in = decode(html)
    if not looks_like_html(text_in):
        return set()
    tree = parse(text_in)
    if tree is None or tree.find("body") is None or element_count(tree) > MAX_ELEMENTS:
        return set()
    out: set[str] = set()
    for el in tree.find("body").iter("p", "li", "h2", "h3", "h4", "blockquote", "figcaption", "dd"):
        # Both the full text and the text a reader sees (screen-reader-only spans dropped),
        # so the print matches whichever form an extractor returned.
        for text in (text_of(el), _visible_text(el)):
            fp = fingerprint(text)
            if fp is not None:
                out.add(fp)
    return out


_SR_ONLY = re.compile(r"sr-only|visually-hidden|screen-reader|visuallyhidden|a11y|hidden")


_HIDING_STYLE = re.compile(r"display:\s*none|visibility:\s*hidden|clip:\s*rect\(0")
_INVISIBLE = frozenset({"svg", "script", "style", "noscript", "template", "button"})


def _visible_text(el: HtmlElement) -> str:
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if (
                isinstance(child.tag, str)
                and child.tag not in _INVISIBLE
                and not _SR_ONLY.search(child.get("class") or "")
                and child.get("aria-hidden") != "true"
                and not _HIDING_STYLE.search(child.get("style") or "")
            ):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return " ".join("".join(parts).split())
