from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from newsdesk.accounts.models import Consent, Reader
from newsdesk.digests import schedule
from newsdesk.digests.plan import last_window_ends
from newsdesk.digests.views import digest_page
from newsdesk.topics.models import Follow


class FollowInline(admin.TabularInline):
    model = Follow
    extra = 0
    raw_id_fields = ["topic"]


@admin.register(Reader)
class ReaderAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "time_zone", "digest_time", "confirmed_at", "unsubscribed_at"]
    list_filter = ["paused", ("confirmed_at", admin.EmptyFieldListFilter), "unsubscribed_at"]
    search_fields = ["email", "name"]
    readonly_fields = ["preview_link"]
    inlines = [FollowInline]

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
