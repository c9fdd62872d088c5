"""Boilerplate filters applied to the chosen body blocks."""

from __future__ import annotations

import re

from .blocks import Block, fingerprint, normalise

_I = re.I

# Whole blocks that are page furniture, whatever the site.
FURNITURE = re.compile(
    r"^(?:advertisement|anzeige|werbung|publicité|publicidad|pubblicità|reklame|annons|"
    r"sponsored|sponsored content|story continues below(?: advertisement)?|"
    r"continue reading below|scroll to continue(?: with content)?|article continues below|"
    r"skip (?:to|past) .{0,40}|close|share|share this|share this (?:article|story)|"
    r"share on .{0,30}|teilen|partager|compartir|condividi|del|dela|jaa|"
    r"copy link|link copied|print|email|e-mail|facebook|twitter|whatsapp|linkedin|"
    r"this is a developing story(?:,? (?:and|which|please) .{0,80})?\.?|"
    r"this story is developing.{0,60}|breaking news|[_\-–—=*•·.~]{3,})\s*[.!:]?$",
    _I,
)
# Sign-up boxes, share bars, cookie banners, list headings: short blocks with these phrases.
PROMO = re.compile(
    r"receive free .{1,60} updates|sign up (?:for|to) (?:our|the|my|a)?\s*.{0,40}newsletter|"
    r"subscribe to (?:our|the) .{0,40}newsletter|get (?:our|the) .{0,40}newsletter|"
    r"newsletter sign[- ]?up|sign up (?:here|now|today)|delivered (?:straight )?to your inbox|"
    r"in your inbox|enter your email|by signing up|you(?:'|’)ve been signed up|"
    r"we use cookies|this (?:site|website) uses cookies|accept (?:all )?cookies|"
    r"cookie (?:policy|settings|preferences)|manage (?:your )?(?:cookie|"
    r"privacy) (?:settings|preferences)|"
    r"share (?:this|the) (?:article|story|post) (?:on|via|with)|follow us on|"
    r"download (?:our|the) app|get the app|click here to (?:subscribe|sign up|read)|"
    r"subscribe (?:now|today) (?:for|to)|already a subscriber|to continue reading|"
    r"newsletter abonnieren|melden sie sich .{0,40}newsletter|abonnez-vous à (?:notre|"
    r"la) newsletter|"
    r"join (?:our|the) (?:commenting|conversation|whatsapp|telegram)|"
    r"(?:want|like) to (?:bookmark|save) (?:your )?(?:favourite|favorite)? ?articles",
    _I,
)
# Headings of link lists that follow the article.
LIST_HEADING = re.compile(
    r"^(?:recent posts|related (?:articles|stories|posts|content|coverage|news|links|"
    r"reading|topics)?|"
    r"more (?:from|on|about|in|stories|news|articles|like this|to read|coverage)\b.{0,40}|"
    r"read more(?: about .{0,40})?|read (?:also|next)|also read|see also|you (?:may|"
    r"might) also like|"
    r"(?:you may|might) (?:be interested in|have missed)|most (?:read|popular|viewed|"
    r"shared)|popular|"
    r"trending(?: now| stories)?|top stories|recommended(?: for you| stories|"
    r" reading)?|latest(?: news| stories)?|"
    r"editor(?:'|’)?s picks|what to read next|further reading|in (?:other|case you missed).{0,20}|"
    r"mehr zum thema|lesen sie auch|auch interessant|"
    r"das könnte sie auch interessieren|weitere artikel|"
    r"meistgelesen|lire aussi|à lire aussi|sur le même sujet|leggi anche|lee también|"
    r"te puede interesar|"
    r"läs också|les også|læs også|lees ook|lees meer|czytaj też|czytaj także|"
    r"читайте также)\s*[:.]?$",
    _I,
)
# Agency/newsroom credit lines (the person credits belong to metadata, not the text).
CREDIT = re.compile(
    r"^\(?\s*(?:(?:reporting|writing|editing|compiled|produced|research|graphics|fact[- ]checking)"
    r"(?: and (?:writing|editing|reporting))? by [^;()]{2,120}(?:[;,]\s*|\s+and\s+|$))+\)?\.?$",
    _I,
)
KEEP = re.compile(r"^\(?\s*additional reporting by", _I)
BIO_TAIL = re.compile(
    r"\b(?:is an? |is the |was an? |writes (?:about|for)|covers |reports on |"
    r"follow (?:him|her|them) on|"
    r"send (?:tips|news tips) to|can be reached at|contact (?:him|her|them) at|"
    r"ist (?:eine?|redakteur)|"
    r"est (?:un|une) (?:journaliste|reporter))",
    _I,
)
_SENTENCE_END = re.compile(r"[.!?…\"”’»)]\s*$")


def is_furniture(block: Block) -> bool:
    text = block.text.strip()
    if not text:
        return block.tag != "figure"
    if KEEP.match(text):
        return False
    if FURNITURE.match(text) or CREDIT.match(text):
        return True
    return block.words <= 40 and bool(PROMO.search(text))


def is_author_bio(block: Block, authors: tuple[str, ...]) -> bool:
    text = block.text.strip()
    if block.words > 80:
        return False
    for name in authors:
        if (
            len(name) >= 4
            and text.startswith(name)
            and BIO_TAIL.search(text[len(name) : len(name) + 60])
        ):
            return True
    return bool(re.search(r"send (?:tips|news tips) to \S+@", text, _I))


def _is_list_tail(block: Block) -> bool:
    """Looks like an entry of a teaser list: a list, a link, or a short unpunctuated line."""
    if block.tag in ("ul", "ol"):
        return True
    if block.link_density > 0.5:
        return True
    return block.words <= 30 and not _SENTENCE_END.search(block.text)


def filter_blocks(
    blocks: list[Block], *, authors: tuple[str, ...] = (), boilerplate: frozenset[str] = frozenset()
) -> list[Block]:
    """Drop furniture, learned boilerplate, author bios and teaser lists after list headings."""
    out: list[Block] = []
    skipping = False
    n = len(blocks)
    for i, block in enumerate(blocks):
        text = block.text
        if boilerplate and text:
            fp = fingerprint(text)
            if fp is not None and fp in boilerplate:
                continue
        if is_furniture(block):
            continue
        if block.words <= 8 and LIST_HEADING.match(text.strip()):
            skipping = True
            continue
        if skipping:
            if _is_list_tail(block):
                continue
            skipping = False
        if i >= n - 4 and authors and is_author_bio(block, authors):
            continue
        out.append(block)
    # Drop dangling headings at the very end (their section was boilerplate).
    while out and out[-1].tag in ("h2", "h3", "h4"):
        out.pop()
    return out


def dedupe(blocks: list[Block]) -> list[Block]:
    """Remove repeated blocks (mobile/desktop copies of the same paragraph)."""
    seen: set[str] = set()
    out: list[Block] = []
    for block in blocks:
        key = normalise(block.text)
        if len(key) > 40 and key in seen:
            continue
        seen.add(key)
        out.append(block)
    return out
