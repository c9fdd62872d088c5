from collections.abc import Callable

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import conditional_page

from newsdesk.web import feeds, views

app_name = "web"


def polled(feed: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Feed readers poll: answer If-None-Match with 304 and let caches keep it 5 minutes."""
    view: Callable[..., HttpResponse] = conditional_page(cache_control(max_age=300)(feed))
    return view


urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("search/", views.search, name="search"),
    path("topics/", views.topics, name="topics"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("topics/<slug:slug>/feed.rss", polled(feeds.TopicFeed()), name="topic_rss"),
    path("topics/<slug:slug>/feed.atom", polled(feeds.TopicAtomFeed()), name="topic_atom"),
    path("topics/<slug:slug>/feed.json", polled(feeds.TopicJSONFeed()), name="topic_json"),
    path("authors/<int:pk>/<slug:slug>/", views.author, name="author"),
    path("authors/<int:pk>/<slug:slug>/feed.rss", polled(feeds.AuthorFeed()), name="author_rss"),
    path(
        "authors/<int:pk>/<slug:slug>/feed.atom", polled(feeds.AuthorAtomFeed()), name="author_atom"
    ),
    path(
        "authors/<int:pk>/<slug:slug>/feed.json", polled(feeds.AuthorJSONFeed()), name="author_json"
    ),
    path("sources/<slug:slug>/", views.outlet, name="outlet"),
    path("sources/<slug:slug>/feed.rss", polled(feeds.OutletFeed()), name="outlet_rss"),
    path("sources/<slug:slug>/feed.atom", polled(feeds.OutletAtomFeed()), name="outlet_atom"),
    path("sources/<slug:slug>/feed.json", polled(feeds.OutletJSONFeed()), name="outlet_json"),
]
