"""One identity per story: near-duplicate text and the AMP / mobile forms of a URL.

Near-duplicates (a wire copy with small edits, the same story at another URL) are found
with MinHash over word 5-shingles and locality-sensitive hashing: each article's
128-value signature is cut into 32 bands of 4 values, and each band is stored hashed in
``ArticleBand`` (indexed). Articles sharing a band key are candidates; a candidate is
confirmed by comparing the two texts' real shingle sets, so the LSH may over-report but
a confirmed pair is always a true one. Confirmed copies point through ``duplicate_of``
at the earliest-published article of their group (one level: a copy never points at a
copy).

With 32 bands of 4 rows, a pair whose shingle sets have Jaccard similarity 0.5 becomes a
candidate with probability ~0.87 and at 0.7 with ~0.9998; a pair at 0.2 only ~0.05 of the
time, so lookups read a handful of texts, not the whole table.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
import numpy as np
from django.db import transaction
from django.db.models import Count
from lxml.etree import ParserError

from newsdesk.articles.models import Article, ArticleAlias, ArticleBand
from newsdesk.sources.parse import canonical_url, registrable_domain, same_site

SHINGLE_WORDS = 5
PERMUTATIONS = 128
BANDS = 32
ROWS = PERMUTATIONS // BANDS
# Confirmation: share at least this much of the smaller text's shingles...
MIN_OVERLAP = 0.8
# ...and be at least half as long (a brief quoted inside a long feature is not a copy).
MIN_SIZE_RATIO = 0.5
MAX_CANDIDATES = 20

_WORD = re.compile(r"\w+")
_KEY_MASK = (1 << 63) - 1  # band keys fit a signed 64-bit column


def _permutation(i: int) -> tuple[int, int]:
    # Derived from a fixed string, not a random generator: stored band keys must stay
    # valid across numpy versions and processes.
    digest = hashlib.blake2b(f"newsdesk-minhash-{i}".encode(), digest_size=16).digest()
    a = int.from_bytes(digest[:8], "little") | 1
    b = int.from_bytes(digest[8:], "little")
    return a, b


_A = np.array([_permutation(i)[0] for i in range(PERMUTATIONS)], dtype=np.uint64)
_B = np.array([_permutation(i)[1] for i in range(PERMUTATIONS)], dtype=np.uint64)
_SHIFT = np.uint64(32)


# --------------------------------------------------------------------------- text


def shingles(text: str) -> set[str]:
    """Word 5-grams of the case-folded text (a text under 5 words is one shingle)."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> np.ndarray | None:
    """MinHash signature (PERMUTATIONS values); None for a text without words."""
    grams = shingles(text)
    if not grams:
        return None
    # crc32 is stable across processes (unlike hash()) and cheap; the permutations below
    # spread its 32 bits.
    hashes = np.fromiter((zlib.crc32(g.encode()) for g in grams), np.uint64, len(grams))
    # Multiply-add-shift hashing of 32-bit keys, (a*x + b mod 2**64) >> 32: universal,
    # and numpy's uint64 arithmetic wraps exactly mod 2**64.
    values = hashes[:, None] * _A
    values += _B
    values >>= _SHIFT
    return values.min(axis=0)


def band_keys(sig: np.ndarray) -> list[int]:
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS].astype("<u8").tobytes()
        digest = hashlib.blake2b(band.to_bytes(2, "little") + rows, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little") & _KEY_MASK)
    return keys


def similar(a: str, b: str) -> bool:
    """The confirmation step: real shingle overlap, not the estimate."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return False
    small, large = sorted((len(sa), len(sb)))
    if small < MIN_SIZE_RATIO * large:
        return False
    return len(sa & sb) >= MIN_OVERLAP * small


# --------------------------------------------------------------------------- index


def index_article(article: Article) -> list[int]:
    """(Re)write the article's band keys; returns them."""
    sig = signature(article.text)
    keys = band_keys(sig) if sig is not None else []
    with transaction.atomic():
        ArticleBand.objects.filter(article=article).delete()
        ArticleBand.objects.bulk_create(ArticleBand(article=article, key=k) for k in keys)
    return keys


def candidates(keys: Iterable[int], exclude_id: int) -> list[int]:
    """Ids of articles sharing a band with ``keys``, most shared bands first."""
    keys = list(keys)
    if not keys:
        return []
    rows = (
        ArticleBand.objects.filter(key__in=keys)
        .exclude(article_id=exclude_id)
        .values("article_id")
        .annotate(hits=Count("id"))
        .order_by("-hits", "article_id")[:MAX_CANDIDATES]
    )
    return [row["article_id"] for row in rows]


def link_duplicates(article: Article) -> Article | None:
    """Index a newly stored article and link it with the copies of its text.

    Returns the group's original (the earliest published) when a copy was found. When
    the new article is older than the group's current original, it becomes the original
    and the group is re-pointed at it.
    """
    keys = index_article(article)
    found = [
        c
        for c in Article.objects.filter(pk__in=candidates(keys, article.pk)).only(
            "id", "text", "duplicate_of_id"
        )
        if similar(article.text, c.text)
    ]
    if keys:  # an article with no words is nobody's copy
        exact = Article.objects.filter(content_hash=article.content_hash).exclude(pk=article.pk)
        found += list(exact.only("id", "duplicate_of_id")[:MAX_CANDIDATES])
    if not found:
        return None
    members = {c.duplicate_of_id or c.pk for c in found} | {article.pk}
    original = Article.objects.filter(pk__in=members).order_by("published_at", "id").first()
    assert original is not None
    with transaction.atomic():
        Article.objects.filter(pk=original.pk).update(duplicate_of=None)
        Article.objects.filter(pk__in=members - {original.pk}).update(duplicate_of=original)
        Article.objects.filter(duplicate_of__in=members - {original.pk}).update(
            duplicate_of=original
        )
    article.duplicate_of = None if original.pk == article.pk else original
    return original


# --------------------------------------------------------------------------- URLs

_MOBILE_LABELS = frozenset({"m", "amp", "mobile"})
_AMP_QUERY = frozenset({"amp", "outputtype", "output"})
_AMP_SUFFIXES = ("/amp/", "/amp", ".amp.html", ".amp")


def main_page_url(url: str, home_url: str = "") -> str:
    """The main-site form of an AMP or mobile URL (``m.``/``amp.`` hosts, ``/amp`` paths,
    ``?amp=1``); other URLs come back canonicalised and otherwise unchanged.

    A mobile host becomes the outlet's home host when both are one site, else loses its
    ``m.``/``amp.`` label (only while the rest is still the site's domain).
    """
    url = canonical_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        return url
    path = parts.path
    for suffix in _AMP_SUFFIXES:
        if path.endswith(suffix) and len(path) > len(suffix):
            path = path[: -len(suffix)] + ("/" if suffix == "/amp/" else "")
            break
    if path.startswith("/amp/"):
        path = path[len("/amp") :]
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower() == "amp" or (k.lower() in _AMP_QUERY and v.lower() == "amp"))
    ]
    netloc = parts.netloc
    labels = host.split(".")
    if labels[0] in _MOBILE_LABELS and len(labels) > 2:
        home_host = urlsplit(home_url).hostname if home_url else None
        if home_host and home_host != host and same_site(home_url, url):
            netloc = netloc.replace(host, home_host, 1)
        elif registrable_domain(host) != host:
            netloc = netloc.replace(host, ".".join(labels[1:]), 1)
    return canonical_url(urlunsplit((parts.scheme, netloc, path, urlencode(query), "")))


# The URL columns' length, which PostgreSQL enforces (SQLite does not).
MAX_URL_LENGTH: int = Article._meta.get_field("canonical_url").max_length or 2000


def page_canonical(fetched_url: str, declared: str | None, home_url: str = "") -> str:
    """The identity URL of a fetched page: its declared rel=canonical when that is on the
    same site (an AMP page names its main page this way), else the fetched URL in its
    main-page form."""
    if declared and same_site(declared, fetched_url):
        canonical = canonical_url(declared)
        if _usable_canonical(canonical, canonical_url(fetched_url), home_url):
            return canonical
    return main_page_url(fetched_url, home_url)


def same_story(stored: Article, fetched_url: str, text: str) -> bool:
    """Whether a page fetched at ``fetched_url`` whose canonical names ``stored`` may be
    stored as it: the page is the one stored before, or its text is that article's (an
    AMP or print copy, an edit that keeps most of it). Page 2 of a story that names page
    1 as canonical, or a page naming another story of its site, is not: it would replace
    that story's text and title."""
    return canonical_url(stored.url) == canonical_url(fetched_url) or similar(stored.text, text)


def _usable_canonical(canonical: str, fetched: str, home_url: str) -> bool:
    """Not a canonical that cannot be stored, nor one naming the site's home page from
    an article: a CMS that puts the home page in every page's rel=canonical would
    otherwise make all its articles one, each overwriting the last."""
    if len(canonical) > MAX_URL_LENGTH:
        return False
    homes = {canonical_url(home_url)} if home_url else set()
    return fetched == canonical or not (_is_site_root(canonical) or canonical in homes)


def _is_site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def known_article(url: str, home_url: str = "") -> Article | None:
    """The stored article a feed item's URL leads to, without fetching it: by canonical
    URL, by its main-page form, or by an alias recorded from an earlier fetch."""
    forms = list(dict.fromkeys([canonical_url(url), main_page_url(url, home_url)]))
    found = Article.objects.filter(canonical_url__in=forms).first()
    if found is not None:
        return found
    alias = ArticleAlias.objects.filter(url__in=forms).select_related("article").first()
    return alias.article if alias is not None else None


def amp_link(body: bytes | str, url: str) -> str | None:
    """The page's ``<link rel="amphtml">`` target, absolute; None without one."""
    try:
        tree = lxml.html.document_fromstring(body)
    except (ParserError, ValueError):
        return None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "amphtml" in rel and href:
            return urljoin(url, href)
    return None


def remember_aliases(article: Article, urls: Iterable[str | None]) -> None:
    """Record other URLs of this article (the fetched URL, the requested one, its AMP
    page) so later feed items naming them are linked without a fetch."""
    forms = {canonical_url(u) for u in urls if u} - {article.canonical_url}
    forms = {f for f in forms if f.startswith(("http://", "https://")) and len(f) <= MAX_URL_LENGTH}
    if forms:
        ArticleAlias.objects.bulk_create(
            [ArticleAlias(url=f, article=article) for f in sorted(forms)], ignore_conflicts=True
        )
