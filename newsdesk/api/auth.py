"""Bearer token authentication for the reader's own endpoints (``/api/me``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from newsdesk.api import tokens
from newsdesk.api.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return tokens.authenticate(token)


def token_of(request: HttpRequest) -> ApiToken:
    """The authenticated request's token (set by ninja after TokenAuth succeeds)."""
    auth = getattr(request, "auth", None)
    if not isinstance(auth, ApiToken):
        raise RuntimeError("endpoint reached without token authentication")
    return auth
