"""Search facets: narrow results by source (outlet), topic and date, with counts.

Each facet's counts are taken with the other facets applied but not its own, so after
choosing one source the page still says how many hits every other source has.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from newsdesk.articles.models import Article
from newsdesk.topics.models import TopicArticle

FACET_LIMIT = 10
DATE_RANGES: dict[str, tuple[str, dt.timedelta]] = {
    "day": ("Past 24 hours", dt.timedelta(days=1)),
    "week": ("Past week", dt.timedelta(days=7)),
    "month": ("Past month", dt.timedelta(days=30)),
    "year": ("Past year", dt.timedelta(days=365)),
}
_SLUG = re.compile(r"[-\w]{1,200}")


@dataclass(frozen=True)
class Chosen:
    source: str = ""
    topic: str = ""
    since: str = ""
    newest: bool = False

    @property
    def filtered(self) -> bool:
        return bool(self.source or self.topic or self.since)

    def urlencode(self, q: str, **changes: object) -> str:
        """The query string for these choices (with ``changes``), empty values left out."""
        chosen = replace(self, **changes)  # type: ignore[arg-type]
        params = {
            "q": q,
            "source": chosen.source,
            "topic": chosen.topic,
            "since": chosen.since,
            "sort": "newest" if chosen.newest else "",
        }
        return urlencode({k: v for k, v in params.items() if v})


def chosen(params: QueryDict) -> Chosen:
    def slug(name: str) -> str:
        value = params.get(name, "")
        return value if _SLUG.fullmatch(value) else ""

    since = params.get("since", "")
    return Chosen(
        source=slug("source"),
        topic=slug("topic"),
        since=since if since in DATE_RANGES else "",
        newest=params.get("sort") == "newest",
    )


def narrow(
    articles: QuerySet[Article], chosen: Chosen, skip: str = "", now: dt.datetime | None = None
) -> QuerySet[Article]:
    """``articles`` with every chosen facet applied except ``skip``."""
    if chosen.source and skip != "source":
        articles = articles.filter(outlet__slug=chosen.source)
    if chosen.topic and skip != "topic":
        articles = articles.filter(topics__slug=chosen.topic)
    if chosen.since and skip != "since":
        now = now or timezone.now()
        articles = articles.filter(published_at__gte=now - DATE_RANGES[chosen.since][1])
    return articles


def scope(chosen: Chosen) -> QuerySet[Article] | None:
    """The articles the chosen facets allow, or None when no facet is chosen."""
    return narrow(Article.objects.all(), chosen) if chosen.filtered else None


@dataclass
class Option:
    label: str
    count: int
    url: str
    selected: bool


@dataclass
class Facet:
    key: str
    title: str
    clear_url: str
    options: list[Option] = field(default_factory=list)

    @property
    def selected(self) -> bool:
        return any(option.selected for option in self.options)


def count(matched: QuerySet[Article], chosen: Chosen, q: str) -> list[Facet]:
    """The source, topic and date facets of a search: three queries."""
    now = timezone.now()

    def link(**changes: object) -> str:
        return "?" + chosen.urlencode(q, **changes)

    sources = Facet("source", "Source", link(source=""))
    rows = (
        narrow(matched, chosen, "source", now)
        .values("outlet__slug", "outlet__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "outlet__name")[:FACET_LIMIT]
    )
    for row in rows:
        slug = row["outlet__slug"]
        selected = slug == chosen.source
        url = link(source="" if selected else slug)
        sources.options.append(Option(row["outlet__name"], row["n"], url, selected))

    topics = Facet("topic", "Topic", link(topic=""))
    in_scope = narrow(matched, chosen, "topic", now).order_by().values("pk")
    topic_rows = (
        TopicArticle.objects.filter(article__in=in_scope)
        .values("topic__slug", "topic__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "topic__name")[:FACET_LIMIT]
    )
    for topic_row in topic_rows:
        slug = topic_row["topic__slug"]
        selected = slug == chosen.topic
        url = link(topic="" if selected else slug)
        topics.options.append(Option(topic_row["topic__name"], topic_row["n"], url, selected))

    dates = Facet("since", "Date", link(since=""))
    buckets = {
        key: Count("pk", filter=Q(published_at__gte=now - delta))
        for key, (_, delta) in DATE_RANGES.items()
    }
    counts = narrow(matched, chosen, "since", now).aggregate(**buckets)
    for key, (label, _) in DATE_RANGES.items():
        selected = key == chosen.since
        url = link(since="" if selected else key)
        dates.options.append(Option(label, counts[key] or 0, url, selected))
    return [sources, topics, dates]
