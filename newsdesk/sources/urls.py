from django.urls import path

from newsdesk.sources import views

app_name = "sources"

# Under manage/: the public outlet pages own sources/<slug>/ (web/urls.py).
urlpatterns = [
    path("manage/sources/import/", views.opml_import, name="opml_import"),
    path("manage/sources/export.opml", views.opml_export, name="opml_export"),
]
