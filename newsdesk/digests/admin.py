from __future__ import annotations

from django.contrib import admin

from newsdesk.digests.models import DigestDelivery


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["reader", "kind", "local_date", "due_at", "status", "attempts", "sent_at"]
    # Operators look for FAILED and UNCONFIRMED rows first.
    list_filter = ["status", "kind", "local_date"]
    search_fields = ["reader__email", "message_id"]
    raw_id_fields = ["reader"]
    date_hierarchy = "due_at"
    readonly_fields = ["claimed_at", "sent_at", "attempts", "message_id", "error"]
