"""Show times in the signed-in reader's own time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class ReaderTimeZoneMiddleware:
    """Activates the reader's IANA zone for the request, so every ``|date`` in a template
    shows local time; visitors (and readers with a zone we cannot load) see UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = self._zone(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        reader = getattr(user, "reader", None)
        if reader is None:
            return None
        try:
            return zoneinfo.ZoneInfo(reader.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None
