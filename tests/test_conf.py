"""Settings read from the environment: typed helpers and the cache URL."""

from __future__ import annotations

import os
import socket

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

from newsdesk.conf import ConfigError, cache_config, env_bool, env_int, env_list

REDIS = ("127.0.0.1", 6379)


def test_it_reads_typed_values_and_fails_loudly_on_bad_ones() -> None:
    env = {"A": "yes", "B": "12", "C": "x, y ,", "D": "maybe", "E": "twelve"}
    assert env_bool("A", False, env) is True
    assert env_int("B", 0, env) == 12
    assert env_list("C", [], env) == ["x", "y"]
    assert env_int("MISSING", 7, env) == 7
    with pytest.raises(ConfigError, match="D must be true or false"):
        env_bool("D", False, env)
    with pytest.raises(ConfigError, match="E must be a whole number"):
        env_int("E", 0, env)


def test_it_uses_process_memory_without_a_cache_url() -> None:
    assert str(cache_config("")["default"]["BACKEND"]).endswith("LocMemCache")


def test_it_refuses_a_cache_url_it_cannot_use() -> None:
    with pytest.raises(ConfigError, match="NEWSDESK_CACHE_URL"):
        cache_config("memcached://127.0.0.1:11211")


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def test_it_shares_the_cache_through_redis() -> None:
    if not redis_reachable():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Redis on 127.0.0.1:6379 is required in CI")
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable")
    url = "redis://127.0.0.1:6379/14"
    with override_settings(CACHES=cache_config(url)):
        cache = caches["default"]
        try:
            cache.set("shared-counter", 1, 30)
            assert cache.incr("shared-counter") == 2
            # A second client (another process would be the same) sees the same value.
            raw = redis.Redis.from_url(url, decode_responses=True)
            keys = [str(k) for k in raw.keys("newsdesk*")]
            assert [k for k in keys if k.endswith("shared-counter")]
            assert raw.get(next(k for k in keys if k.endswith("shared-counter"))) == "2"
        finally:
            cache.delete("shared-counter")
            caches.close_all()
