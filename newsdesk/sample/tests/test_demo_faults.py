"""The main job keeps going when a page never answers."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from newsdesk.lib.http import FetchPolicy
from newsdesk.sample.catalog import load_catalog
from newsdesk.sample.demo import run_demo
from newsdesk.sources.models import Source, SourceItem

pytestmark = pytest.mark.django_db


def test_it_records_a_page_that_times_out_and_stores_the_rest(tmp_path: Path) -> None:
    quick = FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),), deadline=1.0)
    with override_settings(OUTBOX_DIR=tmp_path):
        report = run_demo(port=0, faults=frozenset({"timeout"}), policy=quick)

    slow = SourceItem.objects.get(url__contains="/slow/")
    assert slow.state == SourceItem.State.PENDING
    assert "timed out" in slow.error and "will try again" in slow.error
    assert slow.article is None and slow.attempts == 1
    # Tried again later, not at once (2 minutes, with jitter).
    assert slow.retry_at is not None and slow.retry_at > timezone.now() + dt.timedelta(minutes=1)
    # On one source: the slow page, the page that answers 500, the malformed page.
    assert Source.objects.get(pk=slow.source_id).page_error_count == 3
    assert report.articles == len(load_catalog().articles)
