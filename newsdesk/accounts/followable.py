"""Authors and outlets as followable topics, created on demand.

Following an author or a source page goes through the same double opt-in, Follow and
digest path as any topic: each author and each outlet can have one Topic (kind
"author" / "source", linked one-to-one) whose articles topics.match assigns as they
arrive. The Topic is only created when someone actually asks to follow (a POST to the
follow view), never by a page view, so crawlers visiting every author page create nothing.

Its slug is predictable, ``author-<id>-<slug>`` and ``source-<outlet slug>``, so the
author and source pages can link the follow form before the Topic exists.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from newsdesk.articles.models import Article, Author
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Topic, TopicArticle

_AUTHOR = re.compile(r"^author-(\d+)(?:-[-\w]*)?$")
SOURCE_PREFIX = "source-"
# A new follower's topic page and first digest show the latest articles, not nothing.
BACKFILL = 200


def author_slug(author: Author) -> str:
    return f"author-{author.pk}-{author.slug}"[:200].rstrip("-")


def source_slug(outlet: Outlet) -> str:
    return f"{SOURCE_PREFIX}{outlet.slug}"[:200]


def new_author_topic(author: Author) -> Topic:
    """An unsaved Topic for the author (no query: the author page's follow form)."""
    name = f"{author.name} ({author.outlet.name})" if author.outlet else author.name
    return Topic(kind=Topic.Kind.AUTHOR, author=author, slug=author_slug(author), name=name[:200])


def new_outlet_topic(outlet: Outlet) -> Topic:
    return Topic(kind=Topic.Kind.SOURCE, outlet=outlet, slug=source_slug(outlet), name=outlet.name)


def followable(target: Author | Outlet) -> Topic:
    """What a follow form on ``target``'s page posts to; resolve() finds the saved one."""
    if isinstance(target, Author):
        return new_author_topic(target)
    return new_outlet_topic(target)


def resolve(slug: str, create: bool) -> Topic:
    """The Topic a follow URL names: an existing one, or an author's or outlet's.

    With ``create`` the author or outlet Topic is saved (and filled with recent
    articles); without it an unsaved Topic is returned for display. Http404 otherwise.
    """
    topic = Topic.objects.filter(slug=slug).first()
    if topic is not None:
        return topic
    if match := _AUTHOR.match(slug):
        author = Author.objects.select_related("outlet").filter(pk=int(match.group(1))).first()
        if author is not None:
            topic = Topic.objects.filter(author=author).first() or new_author_topic(author)
    elif slug.startswith(SOURCE_PREFIX):
        outlet = Outlet.objects.filter(slug=slug.removeprefix(SOURCE_PREFIX)).first()
        if outlet is not None:
            topic = Topic.objects.filter(outlet=outlet).first() or new_outlet_topic(outlet)
    if topic is None:
        raise Http404("No such topic, author or source.")
    return save(topic) if create and topic.pk is None else topic


def save(topic: Topic) -> Topic:
    """Create an author or outlet Topic once, even when two visitors follow at once."""
    lookup = {"author": topic.author} if topic.author_id else {"outlet": topic.outlet}
    try:
        with transaction.atomic():
            if Topic.objects.filter(slug=topic.slug).exists():  # a curated topic took it
                topic.slug = f"{topic.slug[:180]}-{topic.author_id or topic.outlet_id}"
            topic.save()
    except IntegrityError:
        return Topic.objects.get(**lookup)
    backfill(topic)
    return topic


def backfill(topic: Topic, limit: int = BACKFILL) -> int:
    """Link the newest articles of the author or outlet, matched when they were published."""
    if topic.author_id:
        articles = Article.objects.filter(bylines__author_id=topic.author_id)
    elif topic.outlet_id:
        articles = Article.objects.filter(outlet_id=topic.outlet_id)
    else:
        return 0
    now = timezone.now()
    rows = [
        TopicArticle(topic=topic, article_id=pk, matched_at=min(published, now))
        for pk, published in articles.order_by("-published_at").values_list("id", "published_at")[
            :limit
        ]
    ]
    TopicArticle.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
