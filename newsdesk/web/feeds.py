"""RSS 2.0, Atom and JSON Feed output for every topic, author and outlet.

One follow gives "the topic's feed" as well as the digest; these are those feeds. An
item links to our article page (clean text, source link, related stories). Descriptions
are the article's snippet, HTML-escaped: feed readers render a description as HTML, and
a snippet is plain text that may contain "<".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import IO, Any

from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape

from newsdesk.articles.models import Article, Author, Byline
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Topic

FEED_SIZE = 50
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
# Characters XML 1.0 (section 2.2) does not allow, even escaped: C0 controls other than
# tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> Any:
    """``value`` with the characters XML cannot carry removed, in strings and lists."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, list | tuple):
        return [xml_text(part) for part in value]
    return value


class XMLSafe(SyndicationFeed):
    """Titles, names and snippets come from the open web: one stray control character
    made Django's XML writer raise (a 500 for every poll of the feed) and U+FFFE made
    the feed unreadable. They are dropped from every text field before writing."""

    def write(self, outfile: IO[str], encoding: str) -> None:
        self.feed = {key: xml_text(value) for key, value in self.feed.items()}
        self.items = [{key: xml_text(value) for key, value in item.items()} for item in self.items]
        super().write(outfile, encoding)


class RSSFeed(XMLSafe, Rss201rev2Feed):
    pass


class AtomFeed(XMLSafe, Atom1Feed):
    pass


class JSONFeedGenerator(SyndicationFeed):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1) from Django's feed data."""

    content_type = "application/feed+json; charset=utf-8"

    def write(self, outfile: IO[str], encoding: str) -> None:
        feed = self.feed
        document: dict[str, Any] = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
            "items": [self._item(item) for item in self.items],
        }
        text = json.dumps({k: v for k, v in document.items() if v is not None})
        # Titles are plain text in JSON Feed; escaping "<", ">" and "&" keeps them inert
        # even for a client that sniffs the body as HTML. JSON parsers read them back.
        outfile.write(text.translate(_JSON_ESCAPES))

    @staticmethod
    def _item(item: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "content_html": item["description"] or "",
        }
        if item["pubdate"]:
            out["date_published"] = item["pubdate"].isoformat()
        if item["updateddate"]:
            out["date_modified"] = item["updateddate"].isoformat()
        if item["author_name"]:
            out["authors"] = [{"name": item["author_name"]}]
        if item["categories"]:
            out["tags"] = list(item["categories"])
        return out


class ArticleFeed(Feed):
    """Shared item handling; subclasses say whose articles and how the feed is named."""

    feed_type: type[SyndicationFeed] = RSSFeed

    def articles(self, obj: Any) -> QuerySet[Article]:
        raise NotImplementedError

    def items(self, obj: Any) -> QuerySet[Article]:
        bylines = Byline.objects.select_related("author").order_by("position")
        return (
            self.articles(obj)
            .select_related("outlet")
            .prefetch_related(Prefetch("bylines", queryset=bylines), "topics")
            .defer("text", "html", "title_history")[:FEED_SIZE]
        )

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return escape(item.snippet)

    def item_link(self, item: Article) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Article) -> dt.datetime:
        return item.published_at

    def item_updateddate(self, item: Article) -> dt.datetime:
        return item.modified_at or item.published_at

    def item_author_name(self, item: Article) -> str | None:
        names = [byline.author.name for byline in item.bylines.all()]
        return ", ".join(names) or None

    def item_categories(self, item: Article) -> list[str]:
        return [topic.name for topic in item.topics.all()]

    def description(self, obj: Any) -> str:
        raise NotImplementedError

    def subtitle(self, obj: Any) -> str:
        # Atom has no channel description; RSS ignores the subtitle.
        return self.description(obj)


class TopicFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Topic:
        return get_object_or_404(Topic, slug=slug)

    def articles(self, obj: Topic) -> QuerySet[Article]:
        return Article.objects.filter(topics=obj)

    def title(self, obj: Topic) -> str:
        return f"{obj.name} — Newsdesk"

    def link(self, obj: Topic) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Topic) -> str:
        return obj.description or f"The latest {obj.name} news from every outlet Newsdesk reads."


class AuthorFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, pk: int, slug: str) -> Author:
        return get_object_or_404(Author.objects.select_related("outlet"), pk=pk, slug=slug)

    def articles(self, obj: Author) -> QuerySet[Article]:
        return Article.objects.filter(bylines__author=obj)

    def title(self, obj: Author) -> str:
        return f"{obj.name} — Newsdesk"

    def link(self, obj: Author) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Author) -> str:
        where = f" for {obj.outlet.name}" if obj.outlet else ""
        return f"Articles by {obj.name}{where}."


class OutletFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Outlet:
        return get_object_or_404(Outlet, slug=slug)

    def articles(self, obj: Outlet) -> QuerySet[Article]:
        return Article.objects.filter(outlet=obj)

    def title(self, obj: Outlet) -> str:
        return f"{obj.name} — Newsdesk"

    def link(self, obj: Outlet) -> str:
        return reverse("web:outlet", args=[obj.slug])

    def description(self, obj: Outlet) -> str:
        return f"The latest articles from {obj.name}."


class TopicAtomFeed(TopicFeed):
    feed_type = AtomFeed


class TopicJSONFeed(TopicFeed):
    feed_type = JSONFeedGenerator


class AuthorAtomFeed(AuthorFeed):
    feed_type = AtomFeed


class AuthorJSONFeed(AuthorFeed):
    feed_type = JSONFeedGenerator


class OutletAtomFeed(OutletFeed):
    feed_type = AtomFeed


class OutletJSONFeed(OutletFeed):
    feed_type = JSONFeedGenerator
