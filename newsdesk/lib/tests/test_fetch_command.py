"""The ``newsdesk fetch URL [--json]`` management command and its settings policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from newsdesk.lib.tests.hostile_server import HostileServer
from newsdesk.sources.http_policy import policy_from_settings


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    srv = HostileServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.NEWSDESK_FETCH_ALLOW_NETWORKS = ["127.0.0.1/32"]
    settings.NEWSDESK_FETCH_DEADLINE = 5.0


def _run(*args: str) -> str:
    out = StringIO()
    call_command("fetch", *args, stdout=out)
    return out.getvalue()


def test_the_policy_comes_from_settings(settings: Any) -> None:
    settings.NEWSDESK_FETCH_ALLOW_NETWORKS = ["127.0.0.1/32", " 10.9.0.0/16 "]
    settings.NEWSDESK_FETCH_MAX_BYTES = 1234
    settings.NEWSDESK_FETCH_DEADLINE = 7.5
    policy = policy_from_settings()
    assert [str(n) for n in policy.allow_networks] == ["127.0.0.1/32", "10.9.0.0/16"]
    assert (policy.max_bytes, policy.deadline) == (1234, 7.5)
    assert policy == policy_from_settings()  # equal policies share one pooled client


def test_the_policy_has_defaults_without_settings(settings: Any) -> None:
    del settings.NEWSDESK_FETCH_ALLOW_NETWORKS
    del settings.NEWSDESK_FETCH_MAX_BYTES
    del settings.NEWSDESK_FETCH_DEADLINE
    policy = policy_from_settings()
    assert policy.allow_networks == ()
    assert (policy.max_bytes, policy.deadline) == (10 * 1024 * 1024, 30.0)


@pytest.mark.usefixtures("allow_loopback")
def test_the_command_prints_json_for_a_response(server: HostileServer) -> None:
    outcome = json.loads(_run(server.url("/chain?n=0"), "--json"))
    assert outcome["ok"] is True
    assert outcome["status"] == 200
    assert outcome["url"] == server.url("/ok")
    assert outcome["redirects"] == [server.url("/ok")]


@pytest.mark.usefixtures("allow_loopback")
def test_the_command_prints_a_readable_summary(server: HostileServer) -> None:
    text = _run(server.url("/feed.xml"))
    assert f"HTTP 200 from {server.url('/feed.xml')}" in text
    assert f"Address: 127.0.0.1 port {server.port}" in text
    assert "application/rss+xml (utf-8)" in text


@pytest.mark.usefixtures("allow_loopback")
def test_the_command_returns_404_as_an_outcome_not_a_failure(server: HostileServer) -> None:
    assert "HTTP 404" in _run(server.url("/missing"))


def test_the_command_fails_on_a_refusal(settings: Any) -> None:
    settings.NEWSDESK_FETCH_ALLOW_NETWORKS = []
    out = StringIO()
    with pytest.raises(CommandError, match="blocked_address"):
        call_command("fetch", "http://169.254.169.254/latest/meta-data/", "--json", stdout=out)
    outcome = json.loads(out.getvalue())
    assert outcome["kind"] == "blocked_address"
    assert "cloud metadata" in outcome["reason"]


@pytest.mark.usefixtures("allow_loopback")
def test_the_command_fails_on_an_error(server: HostileServer) -> None:
    with pytest.raises(CommandError, match="redirect_loop"):
        _run(server.url("/loop-a"))
