"""The querysets the endpoints read, each with what its schema touches joined or
prefetched, so a page costs the same few queries whatever its length."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from newsdesk.articles.models import Article, Byline
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
