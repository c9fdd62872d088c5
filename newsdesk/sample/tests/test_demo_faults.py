"""The main job keeps going when a page never answers."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from django.test import override_settings

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
    assert slow.state == SourceItem.State.FAILED
    assert "timed out" in slow.error
    assert slow.article is None
    # On one source: three tries of the slow page, three of the page that answers 500,
    # and the malformed page that is not stored.
    assert Source.objects.get(pk=slow.source_id).page_error_count == 7
    assert report.articles == len(load_catalog().articles)
