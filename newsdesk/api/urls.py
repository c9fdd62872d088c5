from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from newsdesk.api import docs
from newsdesk.api.api import api


def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Unknown paths under /api/ answer in JSON, not with the site's HTML 404 page."""
    return JsonResponse({"detail": "Not Found"}, status=404)


urlpatterns = [
    path("docs/assets/<str:name>", docs.asset, name="api-docs-asset"),
    path("", api.urls),
    path("<path:rest>", not_found),
]
