"""The reader-facing pages: front page, article, topic, author and outlet ("source").

Every list of articles is read with its outlet joined (``select_related``) and without the
body columns (``defer``), so a page costs a fixed handful of queries however many
articles it shows; the tests pin those counts.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Count, Max, Prefetch, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe

from newsdesk.articles.models import Article, Author, Byline
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Topic
from newsdesk.web import charts, facets
from newsdesk.web import search as fulltext
from newsdesk.web.coverage import Story, group_stories

RECENT_COUNT = 30
SIDEBAR_COUNT = 5
PAGE_SIZE = 20
TOP_STORIES = 8
# The front page groups at most this many of the day's articles into stories.
COVERAGE_WINDOW_LIMIT = 500
CHART_DAYS = 30
# Fragments that are the same for every visitor are cached briefly (pages themselves
# carry per-visitor CSRF tokens in their follow forms, so they are not).
STORIES_CACHE_SECONDS = 60
CHART_CACHE_SECONDS = 600


def article_list() -> QuerySet[Article]:
    """Articles for a list: outlet joined, body columns left in the database."""
    return Article.objects.select_related("outlet").defer("text", "html", "title_history")


def paginate(request: HttpRequest, queryset: QuerySet[Article]) -> Page[Article]:
    try:
        return Paginator(queryset, PAGE_SIZE).page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404("No such page") from exc


def home(request: HttpRequest) -> HttpResponse:
    # "The day" is the 24 hours up to the newest article, so a quiet night or a sample
    # database still shows its last busy day instead of an empty front page.
    newest = Article.objects.aggregate(newest=Max("published_at"))["newest"]
    stories: list[Story] = []
    if newest is not None:
        end = min(newest, timezone.now())
        window = article_list().filter(
            published_at__gt=end - dt.timedelta(days=1), published_at__lte=end
        )
        stories = (
            cache.get_or_set(
                f"web:home-stories:{end.isoformat()}",
                lambda: group_stories(window[:COVERAGE_WINDOW_LIMIT])[:TOP_STORIES],
                STORIES_CACHE_SECONDS,
            )
            or []
        )
    context = {"stories": stories, "recent": article_list()[:RECENT_COUNT]}
    return render(request, "web/home.html", context)


def article(request: HttpRequest, pk: int) -> HttpResponse:
    bylines = Byline.objects.select_related("author").order_by("position")
    item = get_object_or_404(
        Article.objects.select_related("outlet").prefetch_related(
            Prefetch("bylines", queryset=bylines), "topics"
        ),
        pk=pk,
    )
    topics = list(item.topics.all())
    # A copy of this story (or the original it copies) is the same text, not related.
    same_story = Article.objects.filter(duplicate_of=item).values("pk")
    others = article_list().exclude(pk=item.pk).exclude(pk__in=same_story)
    if item.duplicate_of_id:
        others = others.exclude(pk=item.duplicate_of_id)
    related = (
        others.filter(pk__in=Article.objects.filter(topics__in=topics).values("pk"))
        if topics
        else Article.objects.none()
    )
    context = {
        "article": item,
        "bylines": list(item.bylines.all()),
        "topics": topics,
        "related": related[:SIDEBAR_COUNT],
        "recent": article_list().exclude(pk=item.pk)[:SIDEBAR_COUNT],
        "share_url": request.build_absolute_uri(item.get_absolute_url()),
        # Panels for entities, quotes and story coverage, each {"title", "template"};
        # the apps that compute them add theirs here. None yet, so no empty boxes.
        "insight_panels": [],
    }
    return render(request, "web/article.html", context)


def volume_chart(topic: Topic) -> str:
    """The 30-day volume chart, the same for every reader in one time zone on one day:
    cached for a few minutes (a new article shows up in its bar a little late)."""
    end = timezone.localdate()
    key = f"web:volume:{topic.pk}:{end.isoformat()}:{timezone.get_current_timezone_name()}"
    return str(cache.get_or_set(key, lambda: _volume_chart(topic, end), CHART_CACHE_SECONDS))


def _volume_chart(topic: Topic, end: dt.date) -> str:
    start = end - dt.timedelta(days=CHART_DAYS - 1)
    # Bounds as datetimes (not published_at__date) so the published_at index is used.
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    rows = (
        topic.articles.filter(published_at__gte=since, published_at__lt=until)
        .annotate(day=TruncDate("published_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["day"]: row["n"] for row in rows}
    series = charts.daily_series(counts, end=end, days=CHART_DAYS)
    return charts.volume_svg(series, label=topic.name, chart_id=f"volume-{topic.slug}")


def topic(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Topic, slug=slug)
    page = paginate(request, article_list().filter(topics=item))
    context = {
        "topic": item,
        "page": page,
        # Built only from escaped parts in charts.volume_svg.
        "chart": mark_safe(volume_chart(item)),
    }
    return render(request, "web/topic.html", context)


def author(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    item = get_object_or_404(Author.objects.select_related("outlet"), pk=pk)
    if slug != item.slug:
        return redirect(item, permanent=True)
    page = paginate(request, article_list().filter(bylines__author=item))
    return render(request, "web/author.html", {"author": item, "page": page})


def outlet(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Outlet, slug=slug)
    context = {
        "outlet": item,
        "sources": list(item.sources.all()),
        "page": paginate(request, article_list().filter(outlet=item)),
        "now": timezone.now(),
    }
    return render(request, "web/outlet.html", context)


def topics(request: HttpRequest) -> HttpResponse:
    items = Topic.objects.annotate(article_count=Count("articles"))
    return render(request, "web/topics.html", {"topics": items})


def search(request: HttpRequest) -> HttpResponse:
    """Full-text search (web.search) with facets by source, topic and date."""
    text = request.GET.get("q", "").strip()[: fulltext.MAX_QUERY_LENGTH]
    query = fulltext.parse_query(text)
    chosen = facets.chosen(request.GET)
    context: dict[str, object] = {"query": text, "page": None, "chosen": chosen}
    if query:
        matched = fulltext.matching(query)
        total = facets.narrow(matched, chosen).count()
        results = fulltext.Results(query, facets.scope(chosen), total, newest=chosen.newest)
        try:
            page = Paginator(results, PAGE_SIZE).page(request.GET.get("page") or 1)
        except InvalidPage as exc:
            raise Http404("No such page") from exc
        context |= {
            "page": page,
            "hits": attach_articles(list(page.object_list)),
            "facets": facets.count(matched, chosen, text),
            "params": chosen.urlencode(text),
            "relevance_params": chosen.urlencode(text, newest=False),
            "newest_params": chosen.urlencode(text, newest=True),
        }
    elif text:
        context["unusable"] = True
    return render(request, "web/search.html", context)


def attach_articles(hits: list[fulltext.Hit]) -> list[tuple[fulltext.Hit, Article]]:
    bylines = Byline.objects.select_related("author").order_by("position")
    found = article_list().prefetch_related(Prefetch("bylines", queryset=bylines))
    articles = found.in_bulk([hit.article_id for hit in hits])
    return [(hit, articles[hit.article_id]) for hit in hits if hit.article_id in articles]
