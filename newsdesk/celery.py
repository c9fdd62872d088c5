"""The Celery app of the scaled-out mode: ``celery -A newsdesk worker`` / ``beat``.

Configured from Django settings (the ``CELERY_`` names in settings.py); the broker is
``NEWSDESK_BROKER_URL``. Only the worker and beat processes import this module: the
embedded mode, the web process and the ``--loop`` commands never need a broker.

Beat enqueues each job every NEWSDESK_BEAT_SECONDS. It holds no state that matters: every
task claims its rows with a conditional update, so a second beat (two machines started
with one) only enqueues ticks that find nothing left to claim. Each tick expires before
the next one, so a backlog built while no worker ran is dropped, not replayed.

A database outage does not end a worker. Celery's Django fixup closes the process's
connections before and after every task, so each task starts on a fresh connection; a
task that finds the database unavailable fails (Celery logs it and acknowledges the
message) and the next beat tick tries again, with its rows left to their leases like a
killed worker's. Not retrying the task itself is deliberate: beat already paces the
retries, and a retried tick would only pile up behind the next one. The signals below add
one log line when a worker process first sees the database unavailable and one when a
task reaches it again (newsdesk/jobs.py's DatabaseRetry, as the ``--loop`` commands log).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, task_failure, task_success
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from newsdesk.jobs import DatabaseRetry, database_unavailable

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


# One per worker process (each prefork child has its own copy and its own connections).
_database = DatabaseRetry("celery worker")


@task_failure.connect
def _note_database_outage(exception: BaseException | None = None, **kwargs: Any) -> None:
    if exception is not None and database_unavailable(exception):
        _database.failed(exception)  # the wait is beat's next tick, not ours


@task_success.connect
def _note_database_back(**kwargs: Any) -> None:
    _database.succeeded()


@after_setup_logger.connect
def _log_newsdesk_once(**kwargs: Any) -> None:
    # Django's LOGGING gives "newsdesk" a console handler of its own; passed on to the
    # handler Celery puts on the root logger, every line would be printed twice.
    logging.getLogger("newsdesk").propagate = False
