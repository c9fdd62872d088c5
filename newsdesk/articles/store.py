"""Store an extracted article under its one identity: the canonical URL.

Many feed items (two feeds of one outlet, tracking-parameter variants) lead to one
Article. An edited article updates the stored row (never its outlet), keeps its earlier
titles and records when it changed. The same or nearly the same text at another URL (a
wire copy with small edits, an AMP or mobile page) is stored as its own row but linked
to the earliest copy through duplicate_of (see ``identity.py``), so digests and the
front page show it once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from newsdesk.articles.extract import MAX_AUTHORS, Extraction
from newsdesk.articles.identity import index_article, link_duplicates, main_page_url, same_story
from newsdesk.articles.models import Article, Author, Byline
from newsdesk.sources.models import Outlet

SNIPPET_LENGTH = 240
MAX_AUTHOR_NAME = 200  # Author.name's max_length


def content_hash(text: str) -> str:
    words = re.findall(r"\w+", text.casefold())
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def make_snippet(text: str, limit: int = SNIPPET_LENGTH) -> str:
    """The article's opening, cut at a sentence (or word) boundary: a snippet is taken from
    the extracted body, never from the page around it."""
    first = " ".join(text.split())
    if len(first) <= limit:
        return first
    cut = first[:limit]
    sentence_end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if sentence_end >= limit // 2:
        return cut[: sentence_end + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…"


def store_article(
    outlet: Outlet,
    extraction: Extraction,
    canonical: str,
    fetched_url: str,
    published_fallback: dt.datetime,
    now: dt.datetime,
) -> tuple[Article, bool]:
    """Create or update the article at ``canonical``; returns (article, created).

    A ``canonical`` naming a stored article that is not this page's story (see
    ``identity.same_story``) is not followed: the page is stored at its own address."""
    fields = {
        "url": fetched_url[:2000],
        "outlet": outlet,
        "title": (extraction.title or "Untitled")[:1000],
        "text": extraction.text,
        "html": extraction.html,
        "snippet": make_snippet(extraction.text),
        "language": (extraction.language or "")[:12],
        "image": (extraction.image or "")[:2000],
        "section": (extraction.section or "")[:200],
        "credit": (extraction.credit or "")[:200],
        "published_at": extraction.published or published_fallback,
        "modified_at": extraction.modified,
        "fetched_at": now,
        "content_hash": content_hash(extraction.text),
    }
    existing = Article.objects.filter(canonical_url=canonical).select_related("outlet").first()
    own = main_page_url(fetched_url, outlet.home_url)
    if (
        existing is not None
        and canonical != own
        and not same_story(existing, fetched_url, extraction.text)
    ):
        # The page names another story of its site as canonical: it keeps its own address.
        canonical = own
        existing = Article.objects.filter(canonical_url=own).select_related("outlet").first()
    if existing is not None:
        _update(existing, fields, now)
        return existing, False
    try:
        with transaction.atomic():
            article = Article.objects.create(canonical_url=canonical, **fields)
    except IntegrityError:
        # Another worker stored the same canonical URL a moment ago.
        article = Article.objects.get(canonical_url=canonical)
        _update(article, fields, now)
        return article, False
    link_duplicates(article)
    return article, True


# What an edit never changes: who published the article. A page fetched again through
# another outlet's feed (it links to this outlet's story) must not move the article.
KEPT_ON_UPDATE = frozenset({"outlet"})


def _update(article: Article, fields: dict[str, object], now: dt.datetime) -> None:
    fields = {name: value for name, value in fields.items() if name not in KEPT_ON_UPDATE}
    text_changed = fields["content_hash"] != article.content_hash
    if not text_changed and fields["title"] == article.title:
        return
    if fields["title"] != article.title:
        article.title_history = [*article.title_history, article.title]
    if fields["modified_at"] is None:
        # The page gave no update date, but we saw it change: that is when.
        fields = {**fields, "modified_at": now}
    for name, value in fields.items():
        setattr(article, name, value)
    article.save(update_fields=[*fields, "title_history"])
    if text_changed:
        # Copies stay linked (an edit does not make a wire copy a new story); the bands
        # follow the new text so later copies of it are found.
        index_article(article)


def set_byline(
    article: Article, outlet: Outlet, names: list[str], bios: dict[str, str]
) -> list[Author]:
    """Put ``names`` on the article's byline in order (at most MAX_AUTHORS of them, as
    extraction keeps: a feed's author list is as untrusted as a page)."""
    authors = []
    # A name longer than the column is no person's (a feed's flood of text); cutting it
    # would make up a new "author" from its first characters.
    fitting = (n.strip() for n in names if 0 < len(n.strip()) <= MAX_AUTHOR_NAME)
    unique = list(dict.fromkeys(fitting))[:MAX_AUTHORS]
    for position, name in enumerate(unique):
        slug = slugify(name)[:200] or "author"
        author, _ = Author.objects.get_or_create(outlet=outlet, slug=slug, defaults={"name": name})
        bio = bios.get(name, "")
        if bio and bio != author.bio:
            author.bio = bio
            author.save(update_fields=["bio"])
        Byline.objects.update_or_create(
            article=article, author=author, defaults={"position": position}
        )
        authors.append(author)
    Byline.objects.filter(article=article).exclude(author__in=authors).delete()
    return authors
