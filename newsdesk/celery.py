"""The Celery app of the scaled-out mode: ``celery -A newsdesk worker`` / ``beat``.

Configured from Django settings (the ``CELERY_`` names in settings.py); the broker is
``NEWSDESK_BROKER_URL``. Only the worker and beat processes import this module: the
embedded mode, the web process and the ``--loop`` commands never need a broker.

Beat enqueues each job every NEWSDESK_BEAT_SECONDS. It holds no state that matters: every
task claims its rows with a conditional update, so a second beat (two machines started
with one) only enqueues ticks that find nothing left to claim. Each tick expires before
the next one, so a backlog built while no worker ran is dropped, not replayed.
"""

from __future__ import annotations

import os

from celery import Celery
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")

if not settings.CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "NEWSDESK_BROKER_URL is not set: set it to redis://host:6379/0 or "
        "amqp://user:password@host:5672// to run Celery workers and beat. Without a "
        "broker, run the fetchsources, fetchpages and senddigests commands with --loop."
    )

app = Celery("newsdesk", include=["newsdesk.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")


def beat_schedule(every: float) -> dict[str, dict[str, object]]:
    # Expiring a little before the next tick keeps at most one waiting copy per beat.
    options = {"expires": max(1.0, every * 0.9)}
    return {
        name: {"task": f"newsdesk.tasks.{name}", "schedule": every, "options": options}
        for name in ("crawl_due_sources", "process_pending_items", "send_due_digests")
    }


app.conf.beat_schedule = beat_schedule(settings.NEWSDESK_BEAT_SECONDS)
