"""The interactive docs page (Swagger UI) with no CDN.

django-ninja ships the Swagger UI files in its package but serves them only when "ninja"
is an installed app; we serve the few we need from the installed package instead, so
the page loads nothing from other origins and runs under the site's strict
Content-Security-Policy (scripts from files, settings in a JSON data block).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

from newsdesk.web.middleware import content_security_policy

if TYPE_CHECKING:
    from ninja import NinjaAPI

ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css", "favicon.png"})


class LocalSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout"}
        context = {"title": api.title, "settings": settings}
        response = render(request, "api/docs.html", context)
        response["Content-Security-Policy"] = docs_policy()
        return response


def docs_policy() -> str:
    """The site's policy, with data: images added: Swagger UI draws its icons as data:
    SVG in its stylesheet. Scripts and styles stay limited to our own files."""
    directives = content_security_policy().split("; ")
    return "; ".join(d + " data:" if d.startswith("img-src ") else d for d in directives)


def asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404("No such file")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
