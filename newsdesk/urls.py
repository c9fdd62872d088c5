from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("newsdesk.accounts.urls")),
    path("", include("newsdesk.digests.urls")),
    path("", include("newsdesk.sources.urls")),
    path("api/", include("newsdesk.api.urls")),
    path("", include("newsdesk.web.urls")),
]
