"""The scaled-out mode end to end: real Celery workers and beats on Redis and on RabbitMQ,
PostgreSQL, and the sample news world over HTTP on 127.0.0.1.

Each test runs once per broker. Every wait is bounded; a timeout fails with the tail of
every worker's and beat's log.
"""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlsplit

from tests.scaleout.services import Broker, Database, Processes, World

PENDING_DELIVERIES = ("planned", "sending", "failed")


def crawled_sources(database: Database) -> int:
    return int(
        database.value("SELECT count(*) FROM sources_source WHERE last_fetched_at IS NOT NULL")
    )


def pending_items(database: Database) -> int:
    """Items still to work on. A page that failed for a passing reason (the sample's 500)
    waits, pending with its error, for a try minutes later: that is not work left now."""
    return int(
        database.value(
            "SELECT count(*) FROM sources_sourceitem WHERE state = 'pending' AND error = ''"
        )
    )


def digests_settled(database: Database, readers: int) -> bool:
    rows = database.rows("SELECT status FROM digests_digestdelivery")
    return len(rows) >= readers and not any(status in PENDING_DELIVERIES for (status,) in rows)


def following_readers(database: Database) -> int:
    return int(database.value("SELECT count(DISTINCT reader_id) FROM topics_follow"))


def ingest_everything(processes: Processes, broker: Broker, database: Database) -> None:
    sources = int(database.value("SELECT count(*) FROM sources_source"))
    for _ in range(2):  # two ticks at once: they race for the same due sources
        broker.send("crawl_due_sources")
    processes.wait_for(lambda: crawled_sources(database) == sources, 60, "the crawl")
    for _ in range(2):
        broker.send("process_pending_items", limit=10)
    processes.wait_for(lambda: pending_items(database) == 0, 90, "every page")


def backdate_matches(database: Database) -> None:
    """The articles came in overnight: a digest covers what matched before it fell due
    (two minutes ago, see services.SEED), and these were matched seconds ago."""
    database.rows(
        "UPDATE topics_topicarticle SET matched_at = matched_at - interval '10 minutes' RETURNING 1"
    )


def assert_everything_happened_once(
    world: World, database: Database, processes: Processes, retried: frozenset[int] = frozenset()
) -> None:
    # Every sample article stored, once (and nothing else stored as an article).
    stored = [url for (url,) in database.rows("SELECT canonical_url FROM articles_article")]
    assert sorted(stored) == sorted(world.article_urls())
    # Each item was claimed once: no two workers ever worked on one item. Items whose page
    # is broken on purpose fail and are retried; ``retried`` were orphaned by a kill.
    items = database.rows("SELECT id, state, attempts, url FROM sources_sourceitem")
    waiting = database.rows(
        "SELECT count(*) FROM sources_sourceitem WHERE state = 'pending' AND error = ''"
    )
    assert items and waiting == [(0,)]
    claimed_twice = [
        (pk, attempts, url)
        for pk, state, attempts, url in items
        if state == "done" and attempts != (2 if pk in retried else 1)
    ]
    assert claimed_twice == []
    # Each feed fetched once: its next poll is minutes away, whatever else was enqueued.
    assert set(world.feed_requests().values()) == {1}, world.feed_requests()
    # One digest row per reader who follows something, and one email per digest sent.
    deliveries = database.rows(
        "SELECT r.email, d.status FROM digests_digestdelivery d"
        " JOIN accounts_reader r ON r.id = d.reader_id"
    )
    readers = [email for email, _ in deliveries]
    assert len(readers) == len(set(readers)) == following_readers(database)
    sent = Counter(email for email, status in deliveries if status == "sent")
    assert processes.emails() == sent


def test_two_workers_racing_store_every_article_and_send_every_digest_once(
    world: World, processes: Processes, broker: Broker, database: Database
) -> None:
    processes.worker("worker-a", pool="prefork")
    processes.worker("worker-b", pool="prefork")
    ingest_everything(processes, broker, database)
    backdate_matches(database)
    for _ in range(3):  # three senders plan and claim the same deliveries at once
        broker.send("send_due_digests")
    readers = following_readers(database)
    processes.wait_for(lambda: digests_settled(database, readers), 60, "the digests")

    assert_everything_happened_once(world, database, processes)
    assert sum(processes.emails().values()) >= 1  # the digests had news in them


def test_a_worker_killed_mid_item_leaves_it_to_another_and_nothing_twice(
    world: World, processes: Processes, broker: Broker, database: Database
) -> None:
    lease = "4"  # seconds before another worker may take over a claimed page
    doomed_queue, survivor_queue = f"{broker.queue}-doomed", f"{broker.queue}-survivor"
    doomed = processes.worker("doomed", queue=doomed_queue, NEWSDESK_PAGE_LEASE_SECONDS=lease)
    processes.worker("survivor", queue=survivor_queue, NEWSDESK_PAGE_LEASE_SECONDS=lease)
    sources = int(database.value("SELECT count(*) FROM sources_source"))
    broker.send("crawl_due_sources", queue=doomed_queue)
    processes.wait_for(lambda: crawled_sources(database) == sources, 60, "the crawl")

    # Hold the page of the sixth item (one no other item shares): the doomed worker, alone
    # on the queue for now, drains in id order and stops inside that item.
    items = database.rows("SELECT id, url FROM sources_sourceitem ORDER BY id")
    paths = Counter(urlsplit(url).path for _, url in items)
    held_id, held_url = [(pk, url) for pk, url in items if paths[urlsplit(url).path] == 1][5]
    world.gate.path = urlsplit(held_url).path
    broker.send("process_pending_items", queue=doomed_queue, limit=1000, spread=False)
    processes.wait_for(world.gate.entered.is_set, 60, "the doomed worker to reach the page")
    assert database.rows(
        "SELECT state, attempts FROM sources_sourceitem WHERE id = %s", held_id
    ) == [("pending", 1)]
    done_before = database.value("SELECT count(*) FROM sources_sourceitem WHERE state = 'done'")
    assert done_before >= 1  # mid-drain: some items behind it, the rest ahead

    doomed.kill()  # SIGKILL, pool and all: no chance to clean up
    doomed.popen.wait(10)
    world.gate.released.set()

    # The survivor drains what is left; the orphaned item comes back when its lease ends.
    sent_at = 0.0

    def drained() -> bool:
        nonlocal sent_at
        if time.monotonic() - sent_at > 2:  # what beat would do, every couple of seconds
            broker.send("process_pending_items", queue=survivor_queue, limit=1000)
            sent_at = time.monotonic()
        return pending_items(database) == 0

    processes.wait_for(drained, 90, "the survivor to finish the drain")
    backdate_matches(database)
    broker.send("send_due_digests", queue=survivor_queue)
    readers = following_readers(database)
    processes.wait_for(lambda: digests_settled(database, readers), 60, "the digests")

    assert_everything_happened_once(world, database, processes, retried=frozenset({held_id}))
    assert world.requests[f"{outlet_of(world, held_url)} {world.gate.path}"] == 2


def outlet_of(world: World, url: str) -> str:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    return next(o.slug for o in world.sites.outlets if o.base_url == origin)


def test_two_beats_only_enqueue_redundant_ticks(
    world: World, processes: Processes, broker: Broker, database: Database
) -> None:
    processes.worker("worker-a", pool="prefork")
    processes.worker("worker-b")
    beats = [processes.beat("beat-1", every=1.0), processes.beat("beat-2", every=1.0)]
    sources = int(database.value("SELECT count(*) FROM sources_source"))
    readers = following_readers(database)

    def settled() -> bool:
        return (
            crawled_sources(database) == sources
            and pending_items(database) == 0
            and digests_settled(database, readers)
        )

    processes.wait_for(settled, 90, "both beats' ticks to do the work")
    time.sleep(5)  # a few more ticks from each beat: all find nothing to claim
    for beat in beats:
        ticks = Counter(
            line.rsplit("(", 1)[-1].rstrip(")")
            for line in beat.output().splitlines()
            if "Sending due task" in line
        )
        assert min(ticks.values(), default=0) >= 3, (beat.name, ticks)
        assert set(ticks) == {
            "newsdesk.tasks.crawl_due_sources",
            "newsdesk.tasks.process_pending_items",
            "newsdesk.tasks.send_due_digests",
        }
    assert_everything_happened_once(world, database, processes)
