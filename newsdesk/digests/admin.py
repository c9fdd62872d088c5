from __future__ import annotations

from django.contrib import admin

from newsdesk.digests.models import AlertDelivery, DigestDelivery, EmailEvent, Suppression


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["reader", "kind", "local_date", "due_at", "status", "attempts", "sent_at"]
    # Operators look for FAILED and UNCONFIRMED rows first.
    list_filter = ["status", "kind", "local_date"]
    search_fields = ["reader__email", "message_id"]
    raw_id_fields = ["reader"]
    date_hierarchy = "due_at"
    readonly_fields = ["claimed_at", "claimed_by", "sent_at", "attempts", "message_id", "error"]


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = ["reader", "title", "topic", "status", "created", "sent_at"]
    list_filter = ["status"]
    search_fields = ["reader__email", "title", "message_id"]
    raw_id_fields = ["reader", "article", "topic"]
    date_hierarchy = "created"
    readonly_fields = ["story_key", "claimed_at", "sent_at", "attempts", "message_id", "error"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Addresses we no longer email. Deleting a row lets mail go to the address again."""

    list_display = ["email", "reason", "source", "created"]
    list_filter = ["reason", "source"]
    search_fields = ["email"]
    readonly_fields = ["created"]

    def save_model(self, request: object, obj: Suppression, form: object, change: bool) -> None:
        if not change and not obj.source:
            obj.source = "admin"
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]


@admin.register(EmailEvent)
class EmailEventAdmin(admin.ModelAdmin):
    list_display = ["email", "kind", "status", "source", "created"]
    list_filter = ["kind", "source"]
    search_fields = ["email", "message_id"]
    date_hierarchy = "created"

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # what a server told us is a record, not a setting
