"""The single sanitizer for stored article HTML (nh3, allow-list based)."""

from __future__ import annotations

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "figure", "img",
        "figcaption", "a", "em", "strong", "b", "i", "br", "code", "pre", "sub", "sup",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https"})
# Elements whose content must disappear together with the tag.
CLEAN_CONTENT_TAGS: frozenset[str] = frozenset(
    {"script", "style", "iframe", "form", "noscript", "template", "object", "embed",
     "svg", "math", "button", "select", "textarea", "base", "head", "title"}
)  # fmt: skip


def sanitize_html(fragment: str) -> str:
    """Clean an HTML fragment for storage and display.

    Only structural article tags survive; links keep http(s) targets only and get
    ``rel="noopener nofollow"``; scripts, styles, iframes, forms, ``on*`` handlers,
    ``javascript:`` URLs and ``<base>`` are removed.
    """
    if not fragment:
        return ""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener nofollow",
        strip_comments=True,
    ).strip()
