"""Bylines set as a bold line of their own at the top or the foot of the body.

Many small outlets publish no author metadata and sign the story inside the text: a
paragraph holding only ``<strong>Name Surname</strong>`` as its first or last block.
Such a line names the author and is not article text.
"""

from __future__ import annotations

import re

from .blocks import Block
from .metadata import clean_author_names

_BOLD_ONLY = re.compile(r"^<p>\s*(?:<(strong|b)>[^<]*</\1>\s*)+</p>$")
_EDGE = 3  # blocks looked at on each end (a standfirst can take two)


def _signature(block: Block) -> bool:
    if block.tag != "p" or not _BOLD_ONLY.match(block.html):
        return False
    words = block.text.split()
    return 2 <= len(words) <= 8 and not any(ch.isdigit() for ch in block.text)


def _names(block: Block, site: str | None, publisher: str | None, first: bool) -> tuple[str, ...]:
    names = clean_author_names([block.text], site, publisher)
    # A bold line in capitals ("İKİNCİ OPERASYON") further down is a subheading, not a
    # signature; as the body's very first line, before any text, it is the writer's name.
    ok = all(
        2 <= len(n.split()) <= 4
        and (first or not n.isupper())
        and all(w[0].isupper() or not w[0].isalpha() for w in n.split())
        for n in names
    )
    return names if ok else ()


def body_byline(
    blocks: list[Block], site: str | None, publisher: str | None
) -> tuple[tuple[str, ...], list[Block]]:
    """Authors signed at either end of the body, and the body without that line."""
    n = len(blocks)
    if n < 3:
        return (), blocks
    for i in [*range(min(_EDGE, n)), *range(max(n - _EDGE, 0), n)]:
        block = blocks[i]
        if not _signature(block):
            continue
        names = _names(block, site, publisher, first=i == 0)
        if names:
            return names, blocks[:i] + blocks[i + 1 :]
    return (), blocks
