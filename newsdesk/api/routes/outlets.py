from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from newsdesk.api import queries
from newsdesk.api.pagination import OffsetPage, OffsetParams, offset_page
from newsdesk.api.schemas import OutletDetail, OutletOut, errors
from newsdesk.sources.models import Outlet, Source

router = Router(tags=["outlets"])


@router.get(
    "/outlets", response={200: OffsetPage[OutletOut], **errors(422)}, summary="List outlets"
)
def list_outlets(request: HttpRequest, page: Query[OffsetParams]) -> dict[str, object]:
    """By name. An outlet's articles: ``/articles?outlet=SLUG``."""
    items = queries.outlets()[page.offset : page.offset + page.limit]
    return offset_page(request, list(items), Outlet.objects.count(), page)


@router.get(
    "/outlets/{slug}",
    response={200: OutletDetail, **errors(404)},
    summary="One outlet and its sources",
)
def get_outlet(request: HttpRequest, slug: str) -> Outlet:
    """With each source's fetch health: status, last fetch, last error, next attempt."""
    sources = Source.objects.order_by("url", "id")
    found = queries.outlets().prefetch_related(Prefetch("sources", queryset=sources))
    return get_object_or_404(found, slug=slug)
