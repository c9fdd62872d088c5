"""Benchmark: plan, compose and render 100,000 daily digests, then deliver over SMTP.

    .venv/bin/python bench/digest.py [--readers 100000] [--topics 2000] [--articles 5000]

Builds a throwaway SQLite database in a temporary folder (generation is not timed), then
times: planning every due digest; composing + rendering every digest with the shared
per-topic sections (the sender's code path, down to an EmailMultiAlternatives object);
the same for a sample with nothing shared (each reader queried and rendered from
scratch: the naive way); and SMTP delivery to a local aiosmtpd sink (its own process):
raw (prebuilt messages over one reused connection), the naive sender (``send_one``: one
row claimed, composed, sent and recorded at a time) and the real sender step
(``send_batch``: batches claimed by one conditional UPDATE, follows, suppressions and
sections loaded once per batch, one connection, SENT recorded once per batch), in one
process and as ``senddigests --processes N``. ``uptime`` is printed before each run:
other jobs may share the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
os.environ["NEWSDESK_LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.mail import get_connection  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from newsdesk.accounts.models import Reader  # noqa: E402
from newsdesk.articles.models import Article  # noqa: E402
from newsdesk.digests.compose import SectionCache, compose, compose_for_reader  # noqa: E402
from newsdesk.digests.models import DigestDelivery  # noqa: E402
from newsdesk.digests.plan import plan_due  # noqa: E402
from newsdesk.digests.render import digest_email  # noqa: E402
from newsdesk.digests.send import BATCH_SIZE, SendContext, send_batch, send_one  # noqa: E402
from newsdesk.sources.models import Outlet  # noqa: E402
from newsdesk.topics.models import Follow, Topic, TopicArticle  # noqa: E402

UTC = dt.UTC
# 07:00 in every one of these zones falls between 04:00 and 07:00 UTC on the bench day.
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Helsinki", "Africa/Lagos",
         "Atlantic/Azores"]  # fmt: skip
NOW = dt.datetime(2026, 6, 2, 7, 30, tzinfo=UTC)
WORDS = [
    "budget",
    "parliament",
    "minister",
    "vote",
    "trade",
    "tariff",
    "bank",
    "rates",
    "election",
    "court",
    "strike",
    "port",
    "energy",
    "grid",
    "river",
    "harbour",
    "treaty",
    "summit",
    "border",
    "police",
    "school",
    "health",
    "rail",
    "merger",
    "shares",
    "profit",
    "inflation",
    "drought",
    "harvest",
    "storm",
    "museum",
    "festival",
    "league",
]


def generate(readers: int, topics: int, articles: int, rng: random.Random) -> None:
    call_command("migrate", verbosity=0)
    outlets = Outlet.objects.bulk_create(
        [Outlet(name=f"Outlet {i}", slug=f"outlet-{i}") for i in range(200)]
    )
    topic_rows = Topic.objects.bulk_create(
        [
            Topic(name=f"Topic {i} {rng.choice(WORDS).title()}", slug=f"topic-{i}")
            for i in range(topics)
        ]
    )
    topic_ids = [t.pk for t in topic_rows]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(topics)]  # some topics are popular
    day_start = NOW - dt.timedelta(hours=24)
    rows = []
    for i in range(articles):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))).capitalize()
        rows.append(
            Article(
                canonical_url=f"https://outlet{i % 200}.example/{i}",
                url=f"https://outlet{i % 200}.example/{i}",
                outlet=outlets[rng.randrange(200)],
                title=title,
                text=("Sign up for our newsletter. " if i % 5 == 0 else "")
                + " ".join(rng.choice(WORDS) for _ in range(120))
                + ".",
                snippet="",
                published_at=day_start + dt.timedelta(seconds=rng.randrange(20 * 3600)),
            )
        )
    article_rows = Article.objects.bulk_create(rows, batch_size=2000)
    # One article in ten is a wire copy of an earlier one.
    copies = []
    for a in article_rows[500:]:
        if rng.random() < 0.1:
            a.duplicate_of_id = rng.choice(article_rows[:500]).pk
            copies.append(a)
    Article.objects.bulk_update(copies, ["duplicate_of"], batch_size=2000)
    links = []
    for a in article_rows:
        for t in set(rng.choices(topic_ids, weights, k=rng.randint(1, 3))):
            links.append(TopicArticle(topic_id=t, article_id=a.pk, matched_at=a.published_at))
    TopicArticle.objects.bulk_create(links, batch_size=5000)
    confirmed = dt.datetime(2026, 1, 1, tzinfo=UTC)
    reader_rows = Reader.objects.bulk_create(
        [
            Reader(
                email=f"reader{i}@example.com",
                name=f"Reader {i}",
                time_zone=rng.choice(ZONES),
                confirmed_at=confirmed,
            )  # fmt: skip
            for i in range(readers)
        ],
        batch_size=5000,
    )
    follows = []
    for r in reader_rows:
        for t in dict.fromkeys(rng.choices(topic_ids, weights, k=rng.randint(1, 8))):
            follows.append(Follow(reader_id=r.pk, topic_id=t, created=confirmed))
    Follow.objects.bulk_create(follows, batch_size=5000)
    print(f"generated {readers} readers, {len(follows)} follows, {topics} topics, "
          f"{articles} articles, {len(links)} topic matches in {TMP}")  # fmt: skip


def deliveries() -> list[dict[str, Any]]:
    rows = DigestDelivery.objects.order_by("id").values(
        "id", "reader_id", "reader__name", "reader__email", "window_start", "window_end"
    )
    return [dict(row) for row in rows]


def follows_by_reader() -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    rows = Follow.objects.filter(daily=True).order_by("reader_id", "created", "id")
    for reader_id, topic_id in rows.values_list("reader_id", "topic_id").iterator(chunk_size=20000):
        out[reader_id].append(topic_id)
    return out


def shared(rows: list[dict[str, Any]], preload: bool = True) -> tuple[int, int, int]:
    """Compose + render with sections shared across readers (the sender's way)."""
    follows = follows_by_reader()
    caches: dict[tuple[Any, Any], SectionCache] = {}
    if preload:
        every = list(Topic.objects.values_list("id", flat=True))
        for key in {(r["window_start"], r["window_end"]) for r in rows}:
            caches[key] = SectionCache(*key)
            caches[key].sections(every)  # a few big queries instead of one per reader
    sent = empty = size = 0
    for row in rows:
        key = (row["window_start"], row["window_end"])
        cache = caches.get(key) or caches.setdefault(key, SectionCache(*key))
        topic_ids = follows[row["reader_id"]]
        digest = compose(topic_ids, cache.sections(topic_ids), *key)
        if digest is None:
            empty += 1
            continue
        message = digest_email(digest, reader_id=row["reader_id"], reader_name=row["reader__name"],
                               reader_email=row["reader__email"])  # fmt: skip
        size += len(str(message.alternatives[0][0]))
        sent += 1
    return sent, empty, size


def naive(rows: list[dict[str, Any]]) -> int:
    """Per reader: query its topics and articles, render every fragment from scratch."""
    made = 0
    for row in rows:
        digest = compose_for_reader(row["reader_id"], row["window_start"], row["window_end"])
        if digest is not None:
            digest_email(digest, reader_id=row["reader_id"], reader_name=row["reader__name"],
                         reader_email=row["reader__email"])  # fmt: skip
            made += 1
    return made


def smtp_raw(rows: list[dict[str, Any]], port: int) -> float:
    follows = follows_by_reader()
    messages = []
    for row in rows:
        key = (row["window_start"], row["window_end"])
        topic_ids = follows[row["reader_id"]]
        digest = compose(topic_ids, SectionCache(*key).sections(topic_ids), *key)
        if digest is not None:
            message = digest_email(digest, reader_id=row["reader_id"],
                                   reader_name=row["reader__name"],
                                   reader_email=row["reader__email"])  # fmt: skip
            messages.append(message)
    conn = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1",
                          port=port, timeout=20)  # fmt: skip
    start = time.perf_counter()
    conn.open()
    for m in messages:
        conn.send_messages([m])
    conn.close()
    return len(messages) / (time.perf_counter() - start)


def smtp_sender(count: int, port: int) -> tuple[int, float]:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    conn = get_connection(timeout=20)
    conn.open()
    context = SendContext(conn)
    start = time.perf_counter()
    steps = 0
    while steps < count and send_one(NOW, context):
        steps += 1
    conn.close()
    elapsed = time.perf_counter() - start
    sent = DigestDelivery.objects.filter(status=DigestDelivery.Status.SENT).count()
    return sent, sent / elapsed


def smtp_batches(count: int, port: int, batch_size: int = BATCH_SIZE) -> tuple[int, float]:
    """The real sender step, one process: send_batch until ``count`` rows are handled."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    before = DigestDelivery.objects.filter(status=DigestDelivery.Status.SENT).count()
    conn = get_connection(timeout=20)
    conn.open()
    context = SendContext(conn)
    start = time.perf_counter()
    handled = 0
    while handled < count:
        done = send_batch(NOW, context, batch_size)
        if not done:
            break
        handled += done
    conn.close()
    elapsed = time.perf_counter() - start
    sent = DigestDelivery.objects.filter(status=DigestDelivery.Status.SENT).count() - before
    return sent, sent / elapsed


def smtp_processes(count: int, port: int, processes: int) -> tuple[int, float]:
    """``senddigests --processes N --no-plan`` as real processes on ``count`` due rows.

    The other planned rows are moved a day ahead first so exactly ``count`` are due.
    Wall-clock time includes starting the processes (about a second each, in parallel).
    """
    Status = DigestDelivery.Status
    planned = DigestDelivery.objects.filter(status=Status.PLANNED)
    keep = list(planned.order_by("id").values_list("id", flat=True)[:count])
    hold = planned.exclude(id__in=keep)
    held = list(hold.values_list("id", "due_at"))
    hold.update(due_at=NOW + dt.timedelta(days=1))
    connection.close()
    before = DigestDelivery.objects.filter(status=Status.SENT).count()
    env = dict(os.environ, NEWSDESK_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
               NEWSDESK_EMAIL_HOST="127.0.0.1", NEWSDESK_EMAIL_PORT=str(port))  # fmt: skip
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "newsdesk", "senddigests", "--now", NOW.isoformat(),
         "--no-plan", "--processes", str(processes)],
        env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    sent = DigestDelivery.objects.filter(status=Status.SENT).count() - before
    for due in {d for _, d in held}:
        DigestDelivery.objects.filter(id__in=[i for i, d in held if d == due]).update(due_at=due)
    return sent, sent / elapsed


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=2_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--sample", type=int, default=2_000, help="readers sent over SMTP")
    parser.add_argument("--naive-sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--processes", type=int, default=2, help="for the multi-process figure")
    parser.add_argument("--process-sample", type=int, default=6_000)
    args = parser.parse_args()
    print("uptime before run:", uptime())
    rng = random.Random(args.seed)
    t = time.perf_counter()
    generate(args.readers, args.topics, args.articles, rng)
    print(f"generation: {time.perf_counter() - t:.1f} s (not counted)")

    t = time.perf_counter()
    planned = plan_due(NOW)
    plan_s = time.perf_counter() - t
    rows = deliveries()
    t = time.perf_counter()
    sent, empty, size = shared(rows)
    shared_s = time.perf_counter() - t
    sample = random.Random(1).sample(rows, min(args.sample, len(rows)))
    naive_sample = sample[: args.naive_sample]
    t = time.perf_counter()
    naive(naive_sample)
    naive_s = time.perf_counter() - t
    t = time.perf_counter()
    shared(naive_sample)
    shared_sample_s = time.perf_counter() - t

    # The sink runs in its own process, as a real MTA would: in this process it would
    # compete with the sender for the GIL and halve both.
    port = 2525 + os.getpid() % 1000
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ]  # fmt: skip
    )
    time.sleep(1.5)
    try:
        raw_rate = smtp_raw(sample, port)
        print("uptime before SMTP steps:", uptime())
        delivered, sender_rate = smtp_sender(len(sample), port)
        batched, batch_rate = smtp_batches(len(sample), port)
        single, single_rate = smtp_processes(args.process_sample, port, 1)
        print("uptime before multi-process step:", uptime())
        multi, multi_rate = smtp_processes(args.process_sample, port, args.processes)
    finally:
        sink.terminate()
        sink.wait()
    connection.close()

    n, k = len(rows), len(naive_sample)
    print("\n| step | digests | time | per digest | rate |\n|---|---:|---:|---:|---:|")
    line("plan (plan_due)", str(planned), plan_s, n)
    line(f"compose + render, shared sections, all ({empty} empty)", str(n), shared_s, n)
    print(f"| plan + compose + render, all | {n} | {plan_s + shared_s:.1f} s | | |")
    line("compose + render, shared, same sample, cold caches", str(k), shared_sample_s, k)
    line("compose + render, naive per reader, sample", str(k), naive_s, k)
    print(f"| naive, extrapolated to all | {n} | {naive_s / k * n:.0f} s | | |")
    print(f"| SMTP, prebuilt messages, one connection | {len(sample)} | | | {raw_rate:,.0f}/s |")
    print(f"| naive sender: send_one (claim, compose, render, send, record per row) | {delivered} "
          f"| | | {sender_rate:,.0f}/s |")  # fmt: skip
    print(f"| **real sender step: send_batch ({BATCH_SIZE} per claim), 1 process** | {batched} | | "
          f"| **{batch_rate:,.0f}/s** |")  # fmt: skip
    print(f"| real sender: senddigests, 1 process (wall clock, with start-up) "
          f"| {single} | | | {single_rate:,.0f}/s |")  # fmt: skip
    print(f"| real sender: senddigests --processes {args.processes} (wall clock, with start-up) "
          f"| {multi} | | | {multi_rate:,.0f}/s |")  # fmt: skip
    print("uptime after run:", uptime())
    print(f"\naverage HTML part {size / max(sent, 1) / 1024:.1f} KiB")


def line(label: str, count: str, seconds: float, n: int) -> None:
    print(
        f"| {label} | {count} | {seconds:.1f} s | {seconds / n * 1e3:.3f} ms "
        f"| {n / seconds:,.0f}/s |"
    )


if __name__ == "__main__":
    main()
