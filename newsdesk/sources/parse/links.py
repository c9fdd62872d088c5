"""Article links on an outlet's section or front page.

For sources without a feed we read the front page and keep the links that
look like articles: same site, an article-shaped path, not navigation.
The heuristics are deliberately conservative; operators tune a source with
include/exclude regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from ._html import document_base, parse_html, web_url
from .urls import canonical_url, same_site

__all__ = ["find_article_links", "looks_like_article_url"]

# Path segments that name listing, account or boilerplate pages, never articles.
_NAVIGATION_SEGMENTS = frozenset(
    {
        "tag", "tags", "topic", "topics", "category", "categories", "section", "author",
        "authors", "page", "login", "logout", "signin", "sign-in", "signup", "sign-up",
        "register", "account", "my-account", "profile", "subscribe", "subscription",
        "subscriptions", "newsletter", "newsletters", "about", "about-us", "contact",
        "contact-us", "search", "feed", "feeds", "rss", "privacy", "privacy-policy",
        "terms", "terms-of-service", "terms-of-use", "cookies", "cookie-policy", "help",
        "faq", "advertise", "advertising", "careers", "jobs", "imprint", "impressum",
        "sitemap", "archive", "archives", "wp-login.php", "wp-admin", "cart", "shop",
    }
)  # fmt: skip
_PAGINATION_PARAMS = frozenset({"page", "paged", "pg", "start", "offset"})
_ID_PARAMS = frozenset({"p", "id", "story", "storyid", "article", "articleid", "aid", "newsid"})
_NON_ARTICLE_EXTENSIONS = re.compile(
    r"\.(?:xml|rss|atom|json|pdf|jpe?g|png|gif|webp|svg|mp3|mp4|zip|css|js|ico)$", re.I
)
_PAGE_EXTENSION = re.compile(r"\.(?:s?html?|php|aspx?)$", re.I)
_INDEX_PAGES = frozenset({"index", "default", "home", "main"})
_DATE_PATH = re.compile(
    r"/(?:19|20)\d{2}(?:/(?:0?[1-9]|1[0-2])(?:/|$)|-\d{2}-\d{2}|\d{4}(?:/|$|[-_]))"
)
_NUMERIC_ID = re.compile(r"(?:^|[-_./])\d{5,}(?:$|[-_.])")
_SLUG_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_SKIPPED_SCHEMES = ("mailto:", "javascript:", "tel:", "sms:", "data:", "#")
_NAV_CLASS_TOKENS = frozenset(
    {"nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "pagination", "pager"}
)
_TOKEN_SPLIT = re.compile(r"[\s_-]+")


def _is_slug(segment: str) -> bool:
    """A long hyphenated slug such as "council-approves-new-budget"."""
    words = [word for word in re.split(r"[-_]+", segment) if _SLUG_WORD.search(word)]
    return len(words) >= 4 and len(segment) >= 20


def looks_like_article_url(url: str) -> bool:
    """Whether a URL's shape says "article" rather than "listing page"."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    path = parts.path
    segments = [segment for segment in path.lower().split("/") if segment]
    if not segments and not parts.query:
        return False
    if any(segment in _NAVIGATION_SEGMENTS for segment in segments):
        return False
    query = dict(parse_qsl(parts.query.lower()))
    if _PAGINATION_PARAMS & query.keys() or _NON_ARTICLE_EXTENSIONS.search(path):
        return False
    if any(key in _ID_PARAMS and value.isdigit() for key, value in query.items()):
        return True  # ?p=123 (WordPress), ?id=4567
    if not segments:
        return False
    last = segments[-1]
    if _PAGE_EXTENSION.search(last):
        return _PAGE_EXTENSION.sub("", last) not in _INDEX_PAGES
    return bool(
        _DATE_PATH.search(path)
        or any(_NUMERIC_ID.search(segment) for segment in segments)
        or any(_is_slug(segment) for segment in segments)
    )


def _class_tokens(element: etree._Element) -> set[str]:
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return set(_TOKEN_SPLIT.split(names))


def _is_nav(element: etree._Element) -> bool:
    role = (element.get("role") or "").lower()
    if element.tag == "nav" or role in ("navigation", "menubar", "menu"):
        return True
    return bool(_class_tokens(element) & _NAV_CLASS_TOKENS)


def _is_page_chrome(element: etree._Element) -> bool:
    role = (element.get("role") or "").lower()
    return element.tag in ("header", "footer") or role in ("banner", "contentinfo")


def _in_navigation(anchor: etree._Element) -> bool:
    """Inside a nav landmark, or in the page's own header/footer.

    HTML gives <article> its own <header>/<footer>, so those only count as
    page chrome when the link is not inside an article.
    """
    ancestors = [a for a in anchor.iterancestors() if isinstance(a.tag, str)]
    if any(_is_nav(ancestor) for ancestor in ancestors):
        return True
    if any(ancestor.tag == "article" for ancestor in ancestors):
        return False
    return any(_is_page_chrome(ancestor) for ancestor in ancestors)


def _compile(patterns: Sequence[str], what: str) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as error:
            raise ValueError(
                f"the {what} pattern {pattern!r} is not a valid regex: {error}"
            ) from None
    return compiled


def _candidate(href: str | None, base: str, page_url: str) -> str | None:
    """The canonical URL of an on-site link, or None for links we never want."""
    if not href or href.strip().lower().startswith(_SKIPPED_SCHEMES):
        return None
    url = web_url(href, base)
    if url is None or not same_site(url, page_url):
        return None
    return canonical_url(url)


def _wanted(url: str, includes: list[re.Pattern[str]], excludes: list[re.Pattern[str]]) -> bool:
    if not looks_like_article_url(url):
        return False
    if includes and not any(pattern.search(url) for pattern in includes):
        return False
    return not any(pattern.search(url) for pattern in excludes)


def find_article_links(
    html: bytes | str,
    page_url: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    limit: int | None = None,
) -> list[str]:
    """Canonical article URLs linked from a page, in document order.

    `include` patterns (re.search on the canonical URL) narrow the result to
    matching links; `exclude` patterns remove links. An invalid pattern
    raises ValueError; the page itself never makes this raise. With `limit`, reading
    stops at that many links.
    """
    includes, excludes = _compile(include, "include"), _compile(exclude, "exclude")
    root = parse_html(html)
    if root is None:
        return []
    base = document_base(root, page_url)
    own = canonical_url(page_url)
    found: list[str] = []
    seen: set[str] = {own}
    for anchor in root.iter("a", "area"):
        url = _candidate(anchor.get("href"), base, page_url)
        if url is None or url in seen:
            continue
        if not _wanted(url, includes, excludes):
            seen.add(url)  # the verdict depends on the URL alone
            continue
        if _in_navigation(anchor):
            continue  # the same URL may still turn up in the page body
        seen.add(url)
        found.append(url)
        if limit is not None and len(found) >= limit:
            break
    return found
