"""Real sender processes on a file SQLite database: crashes and concurrency.

pytest-django's SQLite test database lives in memory, invisible to other processes, so
these tests build their own database file and drive ``python -m newsdesk`` directly.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from newsdesk.digests.tests.helpers import ROOT, Sink, free_port, newsdesk_env, run_newsdesk

SETUP = """
import datetime as dt
from newsdesk.accounts.models import Reader
from newsdesk.articles.models import Article
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Follow, Topic, TopicArticle
at = dt.datetime(2026, 6, 2, 5, tzinfo=dt.UTC)
outlet = Outlet.objects.create(name="Herald", slug="herald")
topic = Topic.objects.create(name="Valdorian politics", slug="valdorian-politics")
article = Article.objects.create(canonical_url="https://news.example/1", url="https://news.example/1",
    outlet=outlet, title="Parliament passes the budget", text="It passed.", published_at=at)
TopicArticle.objects.create(topic=topic, article=article, matched_at=at)
for i in range({readers}):
    reader = Reader.objects.create(email=f"r{{i}}@example.com", confirmed_at=at)
    Follow.objects.create(reader=reader, topic=topic)
"""
NOW = "2026-06-02T07:01:00+00:00"
LATER = "2026-06-02T07:30:00+00:00"  # past the 15-minute reaper threshold


@pytest.fixture
def world(migrated: Path, tmp_path: Path) -> Any:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    db = tmp_path / "newsdesk.sqlite3"
    shutil.copy(migrated, db)

    def setup(readers: int) -> None:
        result = run_newsdesk(["shell", "-c", SETUP.format(readers=readers)], db, port)
        assert result.returncode == 0, result.stderr

    def send(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run_newsdesk(["senddigests", *args], db, port, env)

    def statuses() -> list[str]:
        with sqlite3.connect(db) as conn:
            return [r[0] for r in conn.execute("select status from digests_digestdelivery")]

    yield sink, setup, send, statuses
    controller.stop()


@pytest.mark.parametrize(("point", "delivered"), [("after_claim", 0), ("after_send", 1)])
def test_it_never_sends_a_second_digest_after_a_sender_is_killed(
    world: Any, point: str, delivered: int
) -> None:
    sink, setup, send, statuses = world
    setup(1)
    killed = send("--now", NOW, NEWSDESK_TEST_CRASH_AT=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(sink.messages) == delivered
    assert statuses() == ["sending"]
    again = send("--now", LATER)
    assert again.returncode == 0, again.stderr
    assert len(sink.messages) == delivered  # no second digest
    assert statuses() == ["unconfirmed"]


def test_it_sends_one_digest_each_with_two_senders_at_once(world: Any) -> None:
    sink, setup, send, statuses = world
    setup(150)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: send("--now", NOW), range(2)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    recipients = sorted(str(m["To"]) for m in sink.messages)
    assert recipients == sorted(f"r{i}@example.com" for i in range(150))
    assert statuses() == ["sent"] * 150


def test_it_claims_batches_exactly_once_with_two_senders_at_once(world: Any) -> None:
    sink, setup, send, statuses = world
    setup(300)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: send("--now", NOW, "--batch-size", "7"), range(2)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    recipients = sorted(str(m["To"]) for m in sink.messages)
    assert recipients == sorted(f"r{i}@example.com" for i in range(300))  # each exactly once
    assert statuses() == ["sent"] * 300


def test_it_runs_several_sender_processes_from_one_command(world: Any) -> None:
    sink, setup, send, statuses = world
    setup(200)
    result = send("--now", NOW, "--processes", "3", "--batch-size", "10")
    assert result.returncode == 0, result.stderr
    assert sorted(str(m["To"]) for m in sink.messages) == sorted(
        f"r{i}@example.com" for i in range(200)
    )
    assert statuses() == ["sent"] * 200


def test_it_never_resends_a_batch_whose_sender_was_killed(world: Any) -> None:
    sink, setup, send, statuses = world
    setup(120)
    killed = send("--now", NOW, "--batch-size", "50", NEWSDESK_TEST_CRASH_AT="after_claim")
    assert killed.returncode == -signal.SIGKILL
    assert sorted(statuses()) == ["planned"] * 70 + ["sending"] * 50
    again = send("--now", LATER)
    assert again.returncode == 0, again.stderr
    assert len(sink.messages) == 70  # the other rows; the killed batch is never resent
    assert sorted(statuses()) == ["sent"] * 70 + ["unconfirmed"] * 50


def test_it_stops_a_looping_sender_cleanly_on_sigterm(migrated: Path) -> None:
    db = migrated.parent / "loop.sqlite3"
    shutil.copy(migrated, db)
    process = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "senddigests", "--loop", "--idle-seconds", "60"],
        env=newsdesk_env(db),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "senddigests: 0 steps" in out
