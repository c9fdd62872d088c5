from django.urls import path

from newsdesk.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("authors/<int:pk>/<slug:slug>/", views.author, name="author"),
    path("sources/<slug:slug>/", views.outlet, name="outlet"),
]
