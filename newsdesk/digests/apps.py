from __future__ import annotations

from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "newsdesk.digests"
    label = "digests"

    def ready(self) -> None:
        # django-anymail is optional: when installed, its provider webhooks feed the
        # suppression list through the same path as /email/events/.
        try:
            from anymail.signals import tracking
        except ImportError:
            return
        from newsdesk.digests.webhooks import anymail_tracking

        tracking.connect(anymail_tracking, dispatch_uid="newsdesk-suppression")
