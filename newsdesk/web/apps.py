from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class WebConfig(AppConfig):
    name = "newsdesk.web"
    label = "web"

    def ready(self) -> None:
        # The search index follows every save of what it holds: an article's title and
        # text, its byline, an author's name (search.index_article).
        from newsdesk.articles.models import Article, Author, Byline

        post_save.connect(_article_saved, sender=Article, dispatch_uid="web-search-article")
        post_delete.connect(_article_deleted, sender=Article, dispatch_uid="web-search-unindex")
        post_save.connect(_byline_changed, sender=Byline, dispatch_uid="web-search-byline")
        post_delete.connect(_byline_changed, sender=Byline, dispatch_uid="web-search-unbyline")
        post_save.connect(_author_saved, sender=Author, dispatch_uid="web-search-author")


def _article_saved(sender: type, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    from newsdesk.web import search

    if update_fields is None or {"title", "text"} & set(update_fields):
        search.index_article(instance)


def _article_deleted(sender: type, instance: Any, **kw: Any) -> None:
    from newsdesk.web import search

    search.unindex_article(instance.pk)


def _byline_changed(sender: type, instance: Any, **kw: Any) -> None:
    from newsdesk.web import search

    search.index_article(instance.article_id)


def _author_saved(sender: type, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    from newsdesk.web import search

    if kw.get("created") or (update_fields is not None and "name" not in update_fields):
        return
    for pk in instance.bylines.values_list("article_id", flat=True):
        search.index_article(pk)
