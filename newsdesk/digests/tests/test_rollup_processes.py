"""Real ``sendalerts`` processes on a file SQLite database: roll-ups sent exactly once.

Like test_processes.py: pytest-django's in-memory database is invisible to other
processes, so these tests migrate a database file and run ``python -m newsdesk``.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from newsdesk.digests.tests.helpers import Sink, free_port, run_newsdesk

# Four stories held back an hour and more ago; the reader's hour has room again.
SETUP = """
import datetime as dt
from django.utils import timezone
from newsdesk.accounts.models import Reader
from newsdesk.articles.models import Article
from newsdesk.digests.models import AlertDelivery
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Follow, Topic, TopicArticle
now = timezone.now()
outlet = Outlet.objects.create(name="Herald", slug="herald")
topic = Topic.objects.create(name="Valdorian politics", slug="valdorian-politics")
reader = Reader.objects.create(email="ann@example.com", confirmed_at=now - dt.timedelta(days=9))
Follow.objects.create(reader=reader, topic=topic, daily=False, instant=True,
                      created=now - dt.timedelta(days=1))
for i in range(4):
    at = now - dt.timedelta(minutes=90 - i)
    article = Article.objects.create(canonical_url=f"https://news.example/{i}",
        url=f"https://news.example/{i}", outlet=outlet, title=f"Held back story {i}",
        text="It happened.", published_at=at)
    TopicArticle.objects.create(topic=topic, article=article, matched_at=at)
    AlertDelivery.objects.create(reader=reader, article=article, topic=topic,
        story_key=article.pk, title=article.title, status="deferred", created=at)
"""


SendAlerts = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def world(migrated: Path, tmp_path: Path) -> Iterator[tuple[Sink, SendAlerts, Callable[[], list]]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    db = tmp_path / "newsdesk.sqlite3"
    shutil.copy(migrated, db)
    result = run_newsdesk(["shell", "-c", SETUP], db, port)
    assert result.returncode == 0, result.stderr

    def sendalerts(**env: str) -> subprocess.CompletedProcess[str]:
        return run_newsdesk(["sendalerts"], db, port, env)

    def rows() -> list[tuple[str, str, str]]:
        with sqlite3.connect(db) as conn:
            query = "select status, claimed_by, message_id from digests_alertdelivery"
            return list(conn.execute(query))

    yield sink, sendalerts, rows
    controller.stop()


def test_two_sendalerts_processes_at_once_send_one_rollup(world: tuple) -> None:
    sink, sendalerts, rows = world
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: sendalerts(), range(2)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    (message,) = sink.messages
    assert message["Subject"] == "4 more stories on Valdorian politics while we held back"
    assert {status for status, _, _ in rows()} == {"sent"}
    assert {(by, mid) for _, by, mid in rows()} == {(rows()[0][1], message["Message-ID"])}


def test_a_sendalerts_killed_after_claiming_a_rollup_never_sends_it(world: tuple) -> None:
    sink, sendalerts, rows = world
    killed = sendalerts(NEWSDESK_TEST_CRASH_AT="rollup_after_claim")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [status for status, _, _ in rows()] == ["sending"] * 4
    again = sendalerts()  # claimed moments ago: not reaped yet, and not claimable
    assert again.returncode == 0, again.stderr
    assert [status for status, _, _ in rows()] == ["sending"] * 4
    reaped = sendalerts(NEWSDESK_DIGEST_STUCK_MINUTES="0")  # the claim is now "long ago"
    assert reaped.returncode == 0, reaped.stderr
    assert [status for status, _, _ in rows()] == ["unconfirmed"] * 4
    assert sink.messages == []  # never re-sent
