"""The querysets the endpoints read, each with what its schema touches joined or
prefetched, so a page costs the same few queries whatever its length."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, QuerySet

from newsdesk.articles.models import Article, Author, Byline
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Topic


def articles(with_body: bool = False) -> QuerySet[Article]:
    bylines = Byline.objects.select_related("author").order_by("position")
    found = Article.objects.select_related("outlet").prefetch_related(
        Prefetch("bylines", queryset=bylines),
        Prefetch("topics", queryset=Topic.objects.only("slug", "name", "kind")),
    )
    return found if with_body else found.defer("text", "html", "title_history")


def topics() -> QuerySet[Topic]:
    return Topic.objects.annotate(article_count=Count("topicarticle")).order_by("name", "id")


def outlets() -> QuerySet[Outlet]:
    return Outlet.objects.annotate(article_count=Count("articles")).order_by("name", "id")


def authors() -> QuerySet[Author]:
    """Authors of at least one original article, with ``article_count`` and
    ``latest_article_at`` over their originals: one grouped query, whatever the page.

    A copy (``duplicate_of`` set: an AMP page, a wire story another outlet ran first)
    counts for nobody, so the republishing outlet's author row of a wire reporter is left
    out and the reporter is listed once, at the outlet that published first. The filter comes before
    the annotations so that both aggregate over the same join of originals only; its
    ``article__isnull=False`` makes that join an inner one (``duplicate_of__isnull`` alone
    would make it outer, and an author without bylines would be listed with none).
    """
    return (
        Author.objects.filter(
            bylines__article__isnull=False, bylines__article__duplicate_of__isnull=True
        )
        .select_related("outlet")
        .only("id", "name", "slug", "outlet__slug", "outlet__name")
        .annotate(
            article_count=Count("bylines"),
            latest_article_at=Max("bylines__article__published_at"),
        )
    )
