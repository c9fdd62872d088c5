"""Editors' admin for outlets and the sources polled for them.

The source list is the operator's health board: status, last fetch, the last error in
plain words, the next attempt and page errors, with "Fetch now" to retry at once. Items
are the crawler's record and are read-only here.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from newsdesk.sources import crawl, status
from newsdesk.sources.models import Outlet, Source, SourceItem

log = logging.getLogger(__name__)
# "Fetch now" runs in the admin's request, each fetch within the client's deadline; more
# sources than this are made due at once for the fetcher instead of being fetched here.
FETCH_NOW_LIMIT = 10
RECENT_ITEMS = 20
# Stored URLs carry their scheme; a scheme-less entry is read as https.
URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


def _item_link(item: SourceItem) -> str:
    """A link to the listed page; feeds are untrusted, so only http(s) URLs are links."""
    label = item.title or item.url
    if not item.url.lower().startswith(("http://", "https://")):
        return format_html("{}", label)
    return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', item.url, label)


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ["url", "kind", "status", "last_fetched_at", "next_fetch_at"]
    readonly_fields = ["status", "last_fetched_at", "next_fetch_at"]
    show_change_link = True
    formfield_overrides = URL_FIELDS


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "home_url", "source_count", "created"]
    search_fields = ["name", "slug", "home_url"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SourceInline]
    formfield_overrides = URL_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Outlet]:
        return super().get_queryset(request).annotate(source_count=Count("sources"))

    @admin.display(description="Sources", ordering="source_count")
    def source_count(self, obj: Any) -> int:
        return int(obj.source_count)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "outlet",
        "kind",
        "status",
        "last_fetched_at",
        "short_error",
        "next_attempt",
        "page_error_count",
    ]
    list_filter = ["status", "kind", ("last_error", admin.EmptyFieldListFilter), "outlet"]
    list_select_related = ["outlet"]
    search_fields = ["url", "title", "outlet__name", "last_error"]
    raw_id_fields = ["outlet"]
    actions = ["fetch_now"]
    formfield_overrides = URL_FIELDS
    readonly_fields = [
        "status",
        "last_error",
        "error_count",
        "last_fetched_at",
        "last_success_at",
        "interval_seconds",
        "page_error_count",
        "last_page_error",
        "etag",
        "last_modified",
        "created",
        "recent_items",
    ]
    fieldsets = [
        (None, {"fields": ["outlet", "url", "kind", "title"]}),
        ("HTML section pages", {"fields": ["include_patterns", "exclude_patterns"]}),
        (
            "Health",
            {
                "fields": [
                    "status",
                    "last_error",
                    "error_count",
                    "last_fetched_at",
                    "last_success_at",
                    "next_fetch_at",
                    "interval_seconds",
                    "page_error_count",
                    "last_page_error",
                ]
            },
        ),
        ("Conditional GET", {"fields": ["etag", "last_modified"], "classes": ["collapse"]}),
        ("What it listed", {"fields": ["recent_items"]}),
    ]

    @admin.display(description="Last error", ordering="last_error")
    def short_error(self, obj: Source) -> str:
        return Truncator(obj.last_error).chars(90) if obj.last_error else "—"

    @admin.display(description="Next attempt", ordering="next_fetch_at")
    def next_attempt(self, obj: Source) -> str:
        return status.relative(obj.next_fetch_at, timezone.now())

    @admin.display(description="Latest items")
    def recent_items(self, obj: Source) -> str:
        if not obj.pk:
            return "—"
        items = obj.items.order_by("-first_seen", "-id").only(
            "url", "title", "state", "first_seen", "source_id"
        )[:RECENT_ITEMS]
        rows = format_html_join(
            "",
            "<li>{} · {} · {}</li>",
            ((_item_link(item), item.get_state_display(), item.first_seen) for item in items),
        )
        changelist = reverse("admin:sources_sourceitem_changelist")
        return format_html(
            '<ul>{}</ul><p><a href="{}?source__id__exact={}">All items of this source</a></p>',
            rows or format_html("<li>{}</li>", "Nothing yet."),
            changelist,
            obj.pk,
        )

    @admin.action(description="Fetch now")
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        """Crawl the chosen sources at once and say what happened to each."""
        chosen = list(queryset.select_related("outlet").order_by("pk"))
        for source in chosen[:FETCH_NOW_LIMIT]:
            self._fetch_one(request, source)
        rest = [source.pk for source in chosen[FETCH_NOW_LIMIT:]]
        if rest:
            Source.objects.filter(pk__in=rest).update(next_fetch_at=timezone.now())
            messages.info(
                request,
                f"{len(rest)} more sources are due now; the fetcher will read them shortly.",
            )

    def _fetch_one(self, request: HttpRequest, source: Source) -> None:
        name = str(source)  # as listed when chosen (a first fetch may set the title)
        try:
            result = crawl.crawl_source(source)
        except Exception as exc:  # crawl_source records bad sources; this is a bug in it
            log.exception("Fetch now failed for source %s", source.pk)
            messages.error(request, f"{name}: the fetch failed unexpectedly ({exc}).")
            return
        if result.ok:
            messages.success(request, f"{name}: fetched, {result.message}.")
        else:
            messages.error(request, f"{name}: {result.message}")


@admin.register(SourceItem)
class SourceItemAdmin(admin.ModelAdmin):
    """What sources listed, as the crawler stored it: look, don't edit."""

    list_display = ["__str__", "source", "state", "published_at", "first_seen", "attempts"]
    list_filter = ["state"]
    list_select_related = ["source"]
    search_fields = ["url", "title", "guid"]
    raw_id_fields = ["source", "article"]
    date_hierarchy = "first_seen"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
