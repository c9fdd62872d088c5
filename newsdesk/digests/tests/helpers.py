"""Shared test helpers: a real SMTP server, data factories and a real sender process."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from newsdesk.accounts.models import Reader
from newsdesk.articles.models import Article
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Follow, Topic, TopicArticle

UTC = dt.UTC
ROOT = Path(__file__).resolve().parents[3]


class Sink:
    """An aiosmtpd handler keeping every message; it can refuse chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()  # answered 451 (temporary)
        self.reject: dict[str, str] = {}  # address -> the full reply, e.g. a 550
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:  # noqa: N802,E501
        if address in self.reject:
            return self.reject[address]
        if address in self.refuse:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink, port
    finally:
        controller.stop()


def make_outlet(name: str = "Valdoria Herald") -> Outlet:
    outlet, _ = Outlet.objects.get_or_create(
        slug=name.lower().replace(" ", "-"), defaults={"name": name}
    )
    return outlet


def make_topic(name: str, slug: str | None = None) -> Topic:
    return Topic.objects.create(name=name, slug=slug or name.lower().replace(" ", "-")[:50])


_counter = iter(range(1, 10**9))


def make_article(
    topics: list[Topic],
    title: str,
    at: dt.datetime,
    outlet: Outlet | None = None,
    snippet: str = "",
    text: str = "The story's text. It has two sentences.",
    duplicate_of: Article | None = None,
) -> Article:
    n = next(_counter)
    article = Article.objects.create(
        canonical_url=f"https://news.example/{n}",
        url=f"https://news.example/{n}?utm_source=feed",
        outlet=outlet or make_outlet(),
        title=title,
        text=text,
        snippet=snippet,
        published_at=at,
        duplicate_of=duplicate_of,
    )
    for topic in topics:
        TopicArticle.objects.create(topic=topic, article=article, matched_at=at)
    return article


def make_reader(
    email_address: str = "ann@example.com",
    name: str = "Ann",
    zone: str = "UTC",
    topics: list[Topic] | None = None,
    confirmed: bool = True,
    at: dt.time = dt.time(7, 0),
) -> Reader:
    reader = Reader.objects.create(
        email=email_address,
        name=name,
        time_zone=zone,
        digest_time=at,
        confirmed_at=dt.datetime(2026, 1, 1, tzinfo=UTC) if confirmed else None,
    )
    for i, topic in enumerate(topics or []):
        Follow.objects.create(
            reader=reader,
            topic=topic,
            created=dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=i),
        )
    return reader


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) bodies of a parsed multipart message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def run_newsdesk(
    args: list[str],
    db: Path,
    port: int = 0,
    extra: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m newsdesk <args>`` as a real process on a file SQLite database."""
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env=newsdesk_env(db, port, extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def newsdesk_env(db: Path, port: int = 0, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{db}",
            "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
            "NEWSDESK_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "NEWSDESK_EMAIL_HOST": "127.0.0.1",
            "NEWSDESK_EMAIL_PORT": str(port or 1),
            "NEWSDESK_EMAIL_TIMEOUT": "10",
            "NEWSDESK_OUTBOX_DIR": str(db.parent / "outbox"),
        }
    )
    env.pop("NEWSDESK_TEST_CRASH_AT", None)
    env.update(extra or {})
    return env


def race(work: Callable[[], object], threads: int = 4, timeout: float = 60) -> None:
    """Run ``work`` in ``threads`` threads released at the same moment, each on its own
    database connection; re-raise the first error one of them met."""
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout)
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file for tests that run real ``newsdesk`` processes:
    each copies it rather than migrating again."""
    db = tmp_path_factory.mktemp("migrated") / "newsdesk.sqlite3"
    result = run_newsdesk(["migrate", "--noinput"], db)
    assert result.returncode == 0, result.stderr
    return db
