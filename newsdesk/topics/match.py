"""Assign articles to topics.

Curated sections match on the section label the outlet gave the article (its feed
categories, its article:section): outlets name the same section differently, so a topic
lists the labels it answers to as aliases. Author and source topics (created when someone
follows an author or outlet page, accounts/followable.py) take every article with that
author in its byline or from that outlet. Entity and saved-search topics join here when
the understanding step and the query language land.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newsdesk.articles.models import Article
from newsdesk.topics.models import Topic, TopicArticle


def normalise_label(label: str) -> str:
    return " ".join(re.findall(r"\w+", label.casefold()))


def section_index() -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for topic_id, aliases, name in Topic.objects.filter(kind=Topic.Kind.SECTION).values_list(
        "id", "aliases", "name"
    ):
        for alias in {*aliases, name}:
            index.setdefault(normalise_label(alias), []).append(topic_id)
    return index


def matching_section_topics(labels: Iterable[str], index: dict[str, list[int]]) -> set[int]:
    found: set[int] = set()
    for label in labels:
        found.update(index.get(normalise_label(label), ()))
    return found


def author_and_source_topics(article: Article) -> set[int]:
    """Topics following this article's outlet or one of its authors (two indexed lookups)."""
    found = set(
        Topic.objects.filter(kind=Topic.Kind.SOURCE, outlet_id=article.outlet_id).values_list(
            "id", flat=True
        )
    )
    found.update(
        Topic.objects.filter(
            kind=Topic.Kind.AUTHOR, author__bylines__article_id=article.pk
        ).values_list("id", flat=True)
    )
    return found


def assign_topics(
    article: Article, labels: Iterable[str], index: dict[str, list[int]] | None = None
) -> set[int]:
    """Match the article (its bylines already stored) to topics; return the topic ids."""
    topic_ids = matching_section_topics(labels, index if index is not None else section_index())
    topic_ids |= author_and_source_topics(article)
    TopicArticle.objects.bulk_create(
        [TopicArticle(topic_id=topic_id, article=article) for topic_id in topic_ids],
        ignore_conflicts=True,
    )
    return topic_ids
