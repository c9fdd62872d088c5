"""Fixtures for the scale-out tests (real PostgreSQL, Redis, RabbitMQ and Celery
processes); see services.py."""

from tests.scaleout.services import (  # noqa: F401 - fixtures, found by name
    broker,
    database,
    migrated_template,
    processes,
    world,
)
