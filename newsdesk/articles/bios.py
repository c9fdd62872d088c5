"""Author bios from the author box an article page shows.

Extraction drops author boxes from the body on purpose; this reads them back for the
author page. An author box is an element whose class or id speaks of an author/bio and
whose text contains the author's name; the bio is its text with the name and labels cut.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

BOX_HINT = re.compile(r"author|bio|contributor|byline-box|writer", re.IGNORECASE)
LABELS = re.compile(r"^(about the author|about|author|written by|by)\s*:?\s*", re.IGNORECASE)
MAX_BIO = 600


def find_bios(page: str | bytes, names: list[str]) -> dict[str, str]:
    if not names or not page:
        return {}
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return {}
    boxes = [
        element
        for element in tree.iter("div", "section", "aside", "p", "li", "figure")
        if BOX_HINT.search(f"{element.get('class', '')} {element.get('id', '')}")
    ]
    bios: dict[str, str] = {}
    for name in names:
        bio = _bio_for(name, boxes)
        if bio:
            bios[name] = bio
    return bios


def _bio_for(name: str, boxes: list[lxml_html.HtmlElement]) -> str:
    best = ""
    for box in boxes:
        text = " ".join(box.text_content().split())
        if name not in text or len(text) > 2000:
            continue
        bio = LABELS.sub("", text.replace(name, "", 1).strip(" :—-|,")).strip()
        # The smallest box that still says something is the bio itself, not a whole
        # sidebar that happens to mention the author.
        if len(bio) >= 20 and (not best or len(bio) < len(best)):
            best = bio
    if not best:
        return ""
    return (name + " " + best)[:MAX_BIO] if not best[0].isupper() else best[:MAX_BIO]
