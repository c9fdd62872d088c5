from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from newsdesk.accounts.models import Consent, Reader
from newsdesk.digests import schedule
from newsdesk.digests.plan import last_window_ends
from newsdesk.digests.suppress import explain, is_suppressed_expr, suppressed_reason
from newsdesk.digests.views import digest_page
from newsdesk.topics.models import Follow


class FollowInline(admin.TabularInline):
    model = Follow
    extra = 0
    raw_id_fields = ["topic"]


class SuppressedFilter(admin.SimpleListFilter):
    title = "suppressed address"
    parameter_name = "suppressed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Suppressed"), ("no", "Not suppressed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Reader]) -> QuerySet[Reader]:
        if self.value() in {"yes", "no"}:
            # is_suppressed: annotated by ReaderAdmin.get_queryset
            return queryset.filter(is_suppressed=self.value() == "yes")  # type: ignore[misc]
        return queryset


@admin.register(Reader)
class ReaderAdmin(admin.ModelAdmin):
    list_display = [
        "email", "name", "time_zone", "digest_time", "confirmed_at", "unsubscribed_at",
        "suppressed",
    ]  # fmt: skip
    list_filter = [
        "paused", ("confirmed_at", admin.EmptyFieldListFilter), "unsubscribed_at",
        SuppressedFilter,
    ]  # fmt: skip
    search_fields = ["email", "name"]
    readonly_fields = ["preview_link", "suppression"]
    inlines = [FollowInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reader]:
        return super().get_queryset(request).annotate(is_suppressed=is_suppressed_expr())

    @admin.display(boolean=True, description="Suppressed", ordering="is_suppressed")
    def suppressed(self, obj: Reader) -> bool:
        return bool(getattr(obj, "is_suppressed", False))

    @admin.display(description="Suppression")
    def suppression(self, obj: Reader) -> str:
        """Why no email goes to this address (digests/suppress.py), if it is suppressed."""
        reason = suppressed_reason(obj.email) if obj.pk else None
        return explain(reason) if reason else "-"

    @admin.display(description="Digest")
    def preview_link(self, obj: Reader) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:accounts_reader_preview", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">Preview digest</a>', url)

    def get_urls(self) -> list[URLPattern]:
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:reader_id>/preview-digest/", preview, name="accounts_reader_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, reader_id: int) -> HttpResponse:
        """The digest this reader would get if it were sent now."""
        reader = get_object_or_404(Reader, pk=reader_id)
        now = timezone.now()
        start, end = schedule.window(now, last_window_ends([reader.pk], now.date()).get(reader.pk))
        return digest_page(reader, start, end)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["reader", "topic", "daily", "weekly", "instant", "created"]
    list_filter = ["daily", "weekly", "instant"]
    search_fields = ["reader__email", "topic__name"]
    raw_id_fields = ["reader", "topic"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["reader", "topic", "created", "confirmed_at", "page_url"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["reader__email"]
    raw_id_fields = ["reader", "topic"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a consent record is evidence: never edited
