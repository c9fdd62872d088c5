from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ApiConfig(AppConfig):
    name = "newsdesk.api"
    label = "api"
    verbose_name = "JSON API"

    def ready(self) -> None:
        from newsdesk.api.folding import register

        connection_created.connect(register, dispatch_uid="newsdesk-casefold")
