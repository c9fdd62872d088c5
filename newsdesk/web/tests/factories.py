"""Small ORM factories for tests; any app's tests may import them.

Every factory fills the required fields with plain defaults and takes keywords for the
rest, so a test states only what it is about: ``make_article(title="…", topics=[t])``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from newsdesk.articles.models import Article, Author, Byline
from newsdesk.sources.models import Outlet, Source
from newsdesk.topics.models import Topic, TopicArticle

_seq = itertools.count(1)


def make_outlet(name: str = "", slug: str = "", **fields: Any) -> Outlet:
    n = next(_seq)
    name = name or f"Outlet {n}"
    fields.setdefault("home_url", f"https://outlet{n}.example/")
    return Outlet.objects.create(name=name, slug=slug or f"{slugify(name)[:180]}-{n}", **fields)


def make_source(outlet: Outlet | None = None, url: str = "", **fields: Any) -> Source:
    outlet = outlet or make_outlet()
    url = url or f"https://feeds{next(_seq)}.example/rss.xml"
    return Source.objects.create(outlet=outlet, url=url, **fields)


def make_topic(name: str = "", slug: str = "", **fields: Any) -> Topic:
    n = next(_seq)
    name = name or f"Topic {n}"
    return Topic.objects.create(name=name, slug=slug or f"{slugify(name)[:180]}-{n}", **fields)


def make_author(name: str = "", outlet: Outlet | None = None, **fields: Any) -> Author:
    n = next(_seq)
    name = name or f"Author {n}"
    fields.setdefault("slug", slugify(name)[:180] or f"author-{n}")
    return Author.objects.create(name=name, outlet=outlet, **fields)


def make_article(
    title: str = "",
    text: str = "",
    *,
    outlet: Outlet | None = None,
    topics: Iterable[Topic] = (),
    authors: Iterable[Author] = (),
    published_at: dt.datetime | None = None,
    **fields: Any,
) -> Article:
    n = next(_seq)
    title = title or f"Article {n}"
    outlet = outlet or make_outlet()
    url = fields.pop("url", f"https://news.example/{n}/{slugify(title)[:60]}")
    fields.setdefault("canonical_url", f"https://news.example/canonical/{n}")
    fields.setdefault("snippet", f"Snippet of article {n}.")
    article = Article.objects.create(
        title=title,
        text=text or f"Text of article {n}.",
        outlet=outlet,
        url=url,
        published_at=published_at or timezone.now(),
        **fields,
    )
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)
    for topic in topics:
        TopicArticle.objects.create(topic=topic, article=article)
    return article
