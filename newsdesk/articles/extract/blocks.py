"""Body blocks: the unit every candidate extractor produces and every filter judges."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Block:
    """One block of article body: ``tag`` is p, h2-h4, ul, ol, blockquote, figure or pre."""

    tag: str
    text: str  # plain text; list items one per line
    html: str  # unsanitised fragment for this block (escaped text, a/em/strong/img inside)
    link_chars: int = 0

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))

    @property
    def words(self) -> int:
        return len(self.text.split())


def tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Word 4-grams as a multiset (a text under 4 tokens is one shingle)."""
    toks = tokens(text)
    if not toks:
        return Counter()
    if len(toks) < 4:
        return Counter([tuple(toks)])
    return Counter(zip(toks, toks[1:], toks[2:], toks[3:], strict=False))


@lru_cache(maxsize=8192)
def shingle_set(text: str) -> frozenset[tuple[str, ...]]:
    """Word 4-grams as a set, cached: the cheap form used for vouching between candidates."""
    toks = tokens(text)
    if not toks:
        return frozenset()
    if len(toks) < 4:
        return frozenset([tuple(toks)])
    return frozenset(zip(toks, toks[1:], toks[2:], toks[3:], strict=False))


def normalise(text: str) -> str:
    """Case- and punctuation-free token string used for fingerprints and containment."""
    return " ".join(t.casefold() for t in _WORD.findall(text))


def fingerprint(text: str) -> str | None:
    """Stable fingerprint of a block's text; ``None`` for blocks too small to judge."""
    norm = normalise(text)
    if len(norm) < 8:
        return None
    return hashlib.blake2b(norm[:400].encode("utf-8"), digest_size=8).hexdigest()


def blocks_text(blocks: list[Block]) -> str:
    return "\n".join(b.text for b in blocks if b.text)


def blocks_html(blocks: list[Block]) -> str:
    return "\n".join(b.html for b in blocks if b.html)
