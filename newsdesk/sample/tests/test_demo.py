"""The main job end to end: sample sites over HTTP → articles → topics → digest emails.

One demo run is shared by the module (it takes a few seconds); each test reads what it
left in the database and in the outbox.
"""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from newsdesk.accounts.models import Reader
from newsdesk.articles.models import Article
from newsdesk.digests.models import DigestDelivery
from newsdesk.sample.catalog import Catalog, load_catalog
from newsdesk.sample.demo import DemoReport, run_demo
from newsdesk.sample.seed import DEMO_READERS
from newsdesk.sources.models import Outlet, Source, SourceItem
from newsdesk.topics.models import Topic

pytestmark = pytest.mark.django_db

OUTBOX_BACKEND = "newsdesk.digests.outbox.OutboxBackend"
# Boilerplate every outlet's layout carries around the article, whatever its wording.
LAYOUT_PHRASES = ("Share post", "Recent posts", "Related articles", "Accept all", "Source link")


def free_port_block(count: int) -> int:
    """A first port with ``count`` free ports after it, so two runs keep the same URLs."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count >= 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no block of free local ports")


class DemoRun:
    def __init__(self, outbox: Path, port: int) -> None:
        self.outbox = outbox
        self.port = port
        self.catalog: Catalog = load_catalog()
        self.reports: list[DemoReport] = []

    def run(self) -> DemoReport:
        with override_settings(OUTBOX_DIR=self.outbox, EMAIL_BACKEND=OUTBOX_BACKEND):
            report = run_demo(port=self.port)
        self.reports.append(report)
        return report

    def messages(self) -> dict[str, EmailMessage]:
        found = {}
        for path in sorted(self.outbox.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email_policy.default)
            assert isinstance(message, EmailMessage)
            found[email.utils.parseaddr(str(message["To"]))[1]] = message
        return found


@pytest.fixture(scope="module")
def demo(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoRun]:
    run = DemoRun(tmp_path_factory.mktemp("outbox"), free_port_block(4))
    with django_db_blocker.unblock():
        run.run()
        run.run()  # the second run must change nothing
        try:
            yield run
        finally:
            call_command("flush", interactive=False, verbosity=0)


def normalise(text: str) -> str:
    return " ".join(text.split())


def stored(demo: DemoRun, key: str) -> Article:
    article = demo.catalog.article(key)
    home = Outlet.objects.get(slug=article.outlet).home_url
    return Article.objects.get(canonical_url=home.rstrip("/") + article.path)


def test_it_stores_every_sample_article_with_its_whole_body(demo: DemoRun) -> None:
    for article in demo.catalog.articles:
        text = normalise(stored(demo, article.key).text)
        for paragraph in demo.catalog.body_text(article).split("\n"):
            assert normalise(paragraph) in text, (article.key, paragraph[:60])


def test_it_keeps_every_outlets_boilerplate_out_of_stored_bodies(demo: DemoRun) -> None:
    for article in demo.catalog.articles:
        row = stored(demo, article.key)
        phrases = [*demo.catalog.boilerplate_phrases(article.outlet), *LAYOUT_PHRASES]
        for phrase in phrases:
            assert normalise(phrase) not in normalise(row.text), (article.key, phrase)
            assert normalise(phrase) not in normalise(row.html), (article.key, phrase)
        assert row.snippet and normalise(row.snippet)[:40] in normalise(row.text)


def test_it_records_bylines_and_author_bios(demo: DemoRun) -> None:
    for article in demo.catalog.articles:
        row = stored(demo, article.key)
        assert [a.name for a in row.authors.order_by("bylines__position")] == list(
            article.author_names
        ), article.key
        for author in article.authors:
            assert normalise(author.bio) in normalise(row.authors.get(name=author.name).bio)


def test_it_ingests_twice_without_duplicating_anything(demo: DemoRun) -> None:
    first, second = demo.reports
    assert first.articles == second.articles == len(demo.catalog.articles)
    assert second.new_articles == 0
    assert Article.objects.values("canonical_url").distinct().count() == Article.objects.count()
    assert DigestDelivery.objects.count() == len(first.digests)
    assert len(list(demo.outbox.glob("*.eml"))) == len(first.digests)


def test_it_links_the_wire_copy_to_its_original(demo: DemoRun) -> None:
    for article in demo.catalog.articles:
        if article.wire_copy_of:
            copy = stored(demo, article.key)
            assert copy.duplicate_of == stored(demo, article.wire_copy_of)


def test_it_files_each_article_under_its_section_topic(demo: DemoRun) -> None:
    for article in demo.catalog.articles:
        topics = set(stored(demo, article.key).topics.values_list("slug", flat=True))
        assert topics == {article.section_key}, article.key


def test_it_records_broken_pages_on_their_source_and_carries_on(demo: DemoRun) -> None:
    for outlet in demo.catalog.outlets:
        for broken in outlet.broken_items:
            item = SourceItem.objects.get(url__endswith=broken.path)
            # A 500 waits for another try later; a malformed page is not an article.
            assert item.state in {
                SourceItem.State.PENDING,
                SourceItem.State.FAILED,
                SourceItem.State.SKIPPED,
            }
            assert item.error
            assert item.article is None
            assert item.source.page_error_count >= 1
            assert item.source.last_page_error
    assert Source.objects.exclude(status=Source.Status.OK).count() == 0


def expected_articles(demo: DemoRun, follows: tuple[str, ...]) -> set[int]:
    """Each followed section's articles of the last day, wire copies counted once."""
    return {
        stored(demo, a.key).pk
        for a in demo.catalog.articles
        if a.section_key in follows and a.age_hours < 24 and not a.wire_copy_of
    }


def read_links(message: EmailMessage) -> list[int]:
    part = message.get_body(("plain",))
    assert part is not None
    return [int(n) for n in re.findall(r"/articles/(\d+)/", part.get_content())]


def test_it_sends_each_follower_exactly_their_topics_news_of_the_last_day(demo: DemoRun) -> None:
    messages = demo.messages()
    for reader in DEMO_READERS:
        if not reader.follows:
            continue
        shown = read_links(messages[reader.email])
        assert len(shown) == len(set(shown)), "an article appears twice"
        assert set(shown) == expected_articles(demo, reader.follows), reader.email


def test_it_sends_nothing_to_a_reader_who_follows_nothing(demo: DemoRun) -> None:
    idle = [r.email for r in DEMO_READERS if not r.follows]
    assert idle
    assert not set(idle) & set(demo.messages())
    assert not DigestDelivery.objects.filter(reader__email__in=idle).exists()


def test_it_writes_multipart_digests_with_unsubscribe_headers(demo: DemoRun) -> None:
    messages = demo.messages()
    assert set(messages) == {r.email for r in DEMO_READERS if r.follows}
    for address, message in messages.items():
        reader = Reader.objects.get(email=address)
        assert message.get_content_type() == "multipart/alternative"
        html = message.get_body(("html",))
        assert html is not None and "<a " in html.get_content()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        names = Topic.objects.filter(follows__reader=reader).values_list("name", flat=True)
        assert any(name in str(message["Subject"]) for name in names)
