"""The steps ingest runs around the extractor for each fetched page.

Before extracting: refuse what is not HTML by its content type, then extract with the
outlet's learned boilerplate and its operator rule. After storing: remember the page's
other URLs, count its blocks for the outlet (once per distinct article) and keep its raw
HTML for rule previews.

Raw pages are kept gzipped, one per article (the last fetch), only below
``SNAPSHOT_MAX_BYTES`` and only for each outlet's ``SNAPSHOTS_PER_OUTLET`` most recently
fetched articles: enough to preview a new rule on a site's current layout without
fetching again, while the table stays a few MB per outlet whatever the archive size.
Older articles are previewed by fetching their URL again through the guarded client.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q

from newsdesk.articles.boilerplate import learn_from_page, learned
from newsdesk.articles.extract import Extraction
from newsdesk.articles.identity import amp_link, known_article, remember_aliases
from newsdesk.articles.models import Article, PageSnapshot
from newsdesk.articles.rules import extract_with_rule, rule_for
from newsdesk.lib.http import FetchError, Response, fetch
from newsdesk.sources.http_policy import policy_from_settings
from newsdesk.sources.models import Outlet

log = logging.getLogger(__name__)

SNAPSHOT_MAX_BYTES = 2 * 1024 * 1024
SNAPSHOTS_PER_OUTLET = 50

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Types servers send for anything: the extractor sniffs the bytes of these instead.
UNSURE_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "text/plain"})


def not_html_reason(content_type: str | None) -> str | None:
    """Why a response is not an HTML page by its Content-Type (a PDF, an image, a
    feed), or None when it is or may be one."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in HTML_TYPES or mime in UNSURE_TYPES:
        return None
    return f"not HTML ({mime})"


def extract_page(outlet: Outlet | None, body: bytes | str, url: str) -> Extraction:
    """Extract with what the desk knows about the site: its rule and its boilerplate."""
    rule = rule_for(outlet, url)
    return extract_with_rule(rule, body, url, boilerplate=learned(outlet)).extraction


def remember_page(
    article: Article, created: bool, response: Response, outlet: Outlet, now: dt.datetime
) -> None:
    """What ingest keeps from a stored page besides the article itself.

    The article is already stored: a failure here is logged, never fatal to the item.
    """
    try:
        amp = amp_link(response.body, response.url)
        remember_aliases(article, [response.requested_url, response.url, amp])
        # Count each distinct article once: not on a re-fetch, and not for another URL
        # of a story the outlet already carries (its own paragraphs would look recurring).
        if created and not _outlet_has_copy(article, outlet):
            learn_from_page(outlet, response.body, response.url, now)
        keep_snapshot(article, response.url, response.content_type or "", response.body, now)
    except DatabaseError:
        raise  # the worker's retry handles the database; do not hide it
    except Exception:  # noqa: BLE001 - a hostile page must not stop the worker
        log.exception("could not learn from the page of %s", article.canonical_url)


def _outlet_has_copy(article: Article, outlet: Outlet) -> bool:
    root = article.duplicate_of_id or article.pk
    group = Article.objects.filter(Q(pk=root) | Q(duplicate_of_id=root)).exclude(pk=article.pk)
    return group.filter(outlet=outlet).exists()


# --------------------------------------------------------------------------- snapshots


def keep_snapshot(
    article: Article, url: str, content_type: str, body: bytes, now: dt.datetime
) -> PageSnapshot | None:
    if len(body) > SNAPSHOT_MAX_BYTES:
        PageSnapshot.objects.filter(article=article).delete()  # stale now
        return None
    fields = {
        "url": url[:2000],
        "content_type": content_type[:200],
        "body_gz": gzip.compress(body, compresslevel=6),
        "size": len(body),
        "fetched_at": now,
    }
    try:
        with transaction.atomic():
            snapshot, _ = PageSnapshot.objects.update_or_create(article=article, defaults=fields)
    except IntegrityError:  # another worker stored this article's page a moment ago
        return None
    _prune_snapshots(article.outlet_id)
    return snapshot


def _prune_snapshots(outlet_id: int) -> None:
    stale = list(
        PageSnapshot.objects.filter(article__outlet_id=outlet_id)
        .order_by("-fetched_at", "-id")
        .values_list("id", flat=True)[SNAPSHOTS_PER_OUTLET : SNAPSHOTS_PER_OUTLET + 500]
    )
    if stale:
        PageSnapshot.objects.filter(pk__in=stale).delete()


def snapshot_body(snapshot: PageSnapshot) -> bytes:
    return gzip.decompress(bytes(snapshot.body_gz))


@dataclass(frozen=True)
class PageSource:
    body: bytes
    url: str
    origin: str  # "snapshot" or "fetched", shown beside a preview
    outlet: Outlet | None


class PageUnavailable(Exception):
    pass


def page_for(url: str) -> PageSource:
    """A page to preview: the kept snapshot of the stored article at ``url``, else the
    page fetched now through the guarded client."""
    article = known_article(url)
    if article is not None:
        snapshot = PageSnapshot.objects.filter(article=article).first()
        if snapshot is not None:
            return PageSource(snapshot_body(snapshot), snapshot.url, "snapshot", article.outlet)
    try:
        response = fetch(url, policy=policy_from_settings())
    except FetchError as exc:
        raise PageUnavailable(f"could not fetch {url}: {exc.reason}") from exc
    if response.status >= 400:
        raise PageUnavailable(f"HTTP {response.status} from {response.url}")
    reason = not_html_reason(response.content_type)
    if reason:
        raise PageUnavailable(f"{response.url}: {reason}")
    return PageSource(
        response.body, response.url, "fetched", article.outlet if article is not None else None
    )
