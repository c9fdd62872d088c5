"""The JSON API: one NinjaAPI with a router per resource (``routes/``).

Every error body is ``{"detail": ...}``: a sentence, or for invalid input the list of
field errors. Every operation is rate limited (api/throttle.py). The OpenAPI document is
``/api/openapi.json``; ``/api/docs`` shows it with Swagger UI served locally (docs.py).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from newsdesk.api.docs import LocalSwagger
from newsdesk.api.routes import articles, authors, me, outlets, search, topics
from newsdesk.api.throttle import FixedWindowThrottle

logger = logging.getLogger("newsdesk.api")

api = NinjaAPI(
    title="Newsdesk API",
    version="1",
    description=(
        "Articles, topics, authors, outlets and search are public. `/me` endpoints need "
        "`Authorization: Bearer <token>` (make one with `newsdesk apitoken create EMAIL`). "
        "Requests are rate limited per token or client address; over the limit the answer "
        "is 429 with Retry-After."
    ),
    urls_namespace="api",
    docs=LocalSwagger(),
    throttle=[FixedWindowThrottle()],
)
for module in (articles, topics, authors, outlets, search, me):
    api.add_router("", module.router)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = "Send a valid API token: Authorization: Bearer <token>."
    response = api.create_response(request, {"detail": detail}, status=401)
    # RFC 6750 section 3: a 401 names the scheme the client should use.
    response["WWW-Authenticate"] = 'Bearer realm="newsdesk"'
    return response


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("api error on %s %s", request.method, request.path)
    return api.create_response(request, {"detail": "Internal server error."}, status=500)
