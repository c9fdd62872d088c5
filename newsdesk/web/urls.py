from django.urls import path

from newsdesk.web import feeds, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("topics/", views.topics, name="topics"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("topics/<slug:slug>/feed.rss", feeds.TopicFeed(), name="topic_rss"),
    path("topics/<slug:slug>/feed.atom", feeds.TopicAtomFeed(), name="topic_atom"),
    path("topics/<slug:slug>/feed.json", feeds.TopicJSONFeed(), name="topic_json"),
    path("authors/<int:pk>/<slug:slug>/", views.author, name="author"),
    path("authors/<int:pk>/<slug:slug>/feed.rss", feeds.AuthorFeed(), name="author_rss"),
    path("authors/<int:pk>/<slug:slug>/feed.atom", feeds.AuthorAtomFeed(), name="author_atom"),
    path("authors/<int:pk>/<slug:slug>/feed.json", feeds.AuthorJSONFeed(), name="author_json"),
    path("sources/<slug:slug>/", views.outlet, name="outlet"),
    path("sources/<slug:slug>/feed.rss", feeds.OutletFeed(), name="outlet_rss"),
    path("sources/<slug:slug>/feed.atom", feeds.OutletAtomFeed(), name="outlet_atom"),
    path("sources/<slug:slug>/feed.json", feeds.OutletJSONFeed(), name="outlet_json"),
]
