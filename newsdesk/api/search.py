"""Article search for the API: one function, ``search_articles``, over the site's
full-text index (web/search.py: query language, ranking, highlighted snippets) and its
facet filters (web/facets.py), returning slugs the API can filter by."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from newsdesk.api import queries
from newsdesk.articles.models import Article
from newsdesk.topics.models import TopicArticle
from newsdesk.web import facets
from newsdesk.web import search as fulltext

FACET_LIMIT = facets.FACET_LIMIT
SINCE_CHOICES = tuple(facets.DATE_RANGES)
MAX_QUERY_LENGTH = fulltext.MAX_QUERY_LENGTH


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class SearchHit:
    article: Article
    # Escaped text with <mark> around the matched words; nothing else is markup.
    title_html: str
    snippet_html: str


@dataclass
class SearchResult:
    usable: bool
    total: int = 0
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


def search_articles(
    q: str,
    *,
    outlet: str = "",
    topic: str = "",
    since: str = "",
    newest: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> SearchResult:
    """Articles matching ``q`` (best first, or newest first), one page, with facets.

    ``outlet``/``topic`` are slugs and ``since`` one of SINCE_CHOICES; each facet's
    counts apply the other filters but not its own, as on the search page.
    """
    query = fulltext.parse_query(q[:MAX_QUERY_LENGTH])
    if not query:
        return SearchResult(usable=False)
    chosen = facets.Chosen(source=outlet, topic=topic, since=since, newest=newest)
    matched = fulltext.matching(query)
    total = facets.narrow(matched, chosen).count()
    hits = fulltext.ranked_page(query, facets.scope(chosen), newest, limit, offset)
    found = queries.articles().in_bulk([hit.article_id for hit in hits])
    return SearchResult(
        usable=True,
        total=total,
        hits=[
            SearchHit(found[hit.article_id], str(hit.title), str(hit.snippet))
            for hit in hits
            if hit.article_id in found
        ],
        facets=facet_counts(matched, chosen),
    )


def facet_counts(matched: QuerySet[Article], chosen: facets.Chosen) -> dict[str, list[FacetValue]]:
    """Outlet, topic and date counts: three queries."""
    now = timezone.now()
    outlet_rows = (
        facets.narrow(matched, chosen, "source", now)
        .values("outlet__slug", "outlet__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "outlet__name")[:FACET_LIMIT]
    )
    in_scope = facets.narrow(matched, chosen, "topic", now).order_by().values("pk")
    topic_rows = (
        TopicArticle.objects.filter(article__in=in_scope)
        .values("topic__slug", "topic__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "topic__name")[:FACET_LIMIT]
    )
    buckets = {
        key: Count("pk", filter=Q(published_at__gte=now - delta))
        for key, (_, delta) in facets.DATE_RANGES.items()
    }
    dates = facets.narrow(matched, chosen, "since", now).aggregate(**buckets)
    return {
        "outlet": [FacetValue(r["outlet__slug"], r["outlet__name"], r["n"]) for r in outlet_rows],
        "topic": [FacetValue(r["topic__slug"], r["topic__name"], r["n"]) for r in topic_rows],
        "since": [
            FacetValue(key, label, dates[key] or 0)
            for key, (label, _) in facets.DATE_RANGES.items()
        ],
    }
