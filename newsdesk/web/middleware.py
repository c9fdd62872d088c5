"""Security headers on every response: a strict Content-Security-Policy and friends.

Article text, titles, bylines and outlet names come from the open web. They are escaped
(and bodies sanitized before storing), and this policy is the second wall: no inline
script or style runs, nothing loads from other origins except article images, and no
page can be framed or change where forms post. Pages keep every script and style in
static files (web/site.js, web/site.css) so they work under it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

# Article bodies may show images from the outlets' https sites; everything else is ours.
DEFAULT_IMG_SRC = "'self' https:"
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def content_security_policy(style_src: str = "'self'") -> str:
    img_src = getattr(settings, "NEWSDESK_CSP_IMG_SRC", DEFAULT_IMG_SRC)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": style_src,
        "img-src": img_src,
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Adds the headers a view has not set itself (see ``inline_styles_allowed``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def inline_styles_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page that shows an email as sent (inlined CSS): style attributes may apply,
    scripts stay forbidden. Use on no other page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        policy = content_security_policy(style_src="'self' 'unsafe-inline'")
        response.headers.setdefault("Content-Security-Policy", policy)
        return response

    return wrapped


class RefuseNulMiddleware:
    """A NUL character in the path or the query string is a 400, before any view.

    No slug, search or filter of this site holds one, and PostgreSQL refuses text with a
    NUL in a query (the driver raises), so without this a ``%00`` in a URL became a server
    error deep in some query. Form fields refuse it themselves (Django's CharField).
    """

    MESSAGE = "The address holds a NUL character (%00), which no page or filter accepts."

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": self.MESSAGE}, status=400)
            return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
