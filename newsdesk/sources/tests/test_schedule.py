import datetime as dt
import random

from newsdesk.sources import schedule

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def test_it_polls_a_busy_source_at_half_its_posting_gap() -> None:
    posts = [NOW - dt.timedelta(hours=h) for h in range(0, 12)]  # one an hour
    assert schedule.posting_interval(posts, NOW) == dt.timedelta(minutes=30)


def test_it_never_polls_more_often_than_the_floor() -> None:
    posts = [NOW - dt.timedelta(seconds=10 * i) for i in range(50)]
    assert schedule.posting_interval(posts, NOW) == schedule.MIN_INTERVAL


def test_it_polls_a_silent_source_rarely_but_within_a_day() -> None:
    assert schedule.posting_interval([], NOW) == dt.timedelta(hours=12)
    old = [NOW - dt.timedelta(days=30)]
    assert schedule.posting_interval(old, NOW) <= schedule.MAX_INTERVAL


def test_it_treats_cache_control_as_a_lower_bound() -> None:
    posts = [NOW - dt.timedelta(minutes=10 * i) for i in range(20)]
    at, interval = schedule.next_success_fetch(
        NOW, posts, {"cache-control": "public, max-age=7200"}
    )
    assert interval == dt.timedelta(hours=2)
    assert at == NOW + dt.timedelta(hours=2)


def test_it_reads_expires_when_there_is_no_max_age() -> None:
    headers = {"expires": "Sat, 28 Nov 2026 15:00:00 GMT"}
    assert schedule.cache_lifetime(headers, NOW) == dt.timedelta(hours=3)
    assert schedule.cache_lifetime({"expires": "garbage"}, NOW) is None


def test_it_honours_a_feed_ttl() -> None:
    posts = [NOW - dt.timedelta(minutes=10 * i) for i in range(20)]
    _, interval = schedule.next_success_fetch(NOW, posts, {}, feed_ttl_minutes=90)
    assert interval == dt.timedelta(minutes=90)


def test_it_backs_off_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    delays = [schedule.next_error_fetch(NOW, n, rng=rng) - NOW for n in (1, 2, 3, 4)]
    assert dt.timedelta(minutes=4) <= delays[0] <= dt.timedelta(minutes=6)
    assert dt.timedelta(minutes=32) <= delays[3] <= dt.timedelta(minutes=48)
    capped = schedule.next_error_fetch(NOW, 40, rng=rng) - NOW
    assert capped <= schedule.MAX_INTERVAL * 1.2


def test_it_waits_at_least_as_long_as_retry_after_says() -> None:
    at = schedule.next_error_fetch(NOW, 1, retry_after=3600, rng=random.Random(2))
    assert at - NOW >= dt.timedelta(hours=1)
