"""Assign articles to topics.

Curated sections match on the section label the outlet gave the article (its feed
categories, its article:section): outlets name the same section differently, so a topic
lists the labels it answers to as aliases. Entity and saved-search topics join here when
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


def assign_topics(
    article: Article, labels: Iterable[str], index: dict[str, list[int]] | None = None
) -> set[int]:
    topic_ids = matching_section_topics(labels, index if index is not None else section_index())
    TopicArticle.objects.bulk_create(
        [TopicArticle(topic_id=topic_id, article=article) for topic_id in topic_ids],
        ignore_conflicts=True,
    )
    return topic_ids
