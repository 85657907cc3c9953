"""The cache backend (civilaffairs/lib/cache.py) keeps one Redis client per pool and still
works from threads and from forked processes (gunicorn and Celery fork their workers); while
Redis is away, a read is a miss and a write does nothing, quickly, logged once in a while and
never with a key: the cache only holds copies of what PostgreSQL has."""

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
import uuid

import pytest
from django.core.cache import cache

from civilaffairs.lib.cache import RedisCache
from tests.worker.conftest import PrivateRedis


def test_one_client_serves_every_call_and_values_round_trip():
    key = f"t-{uuid.uuid4().hex}"
    client = cache._cache.get_client(key)
    assert cache._cache.get_client(key) is client
    assert cache._cache.get_client(key, write=True) is client  # one server: one pool
    cache.set(key, {"n": 1}, 30)
    assert cache.get(key) == {"n": 1}
    cache.delete(key)
    assert cache.get(key) is None


def test_threads_share_the_client_safely():
    prefix = uuid.uuid4().hex
    errors = []

    def work(i):
        try:
            for j in range(50):
                cache.set(f"{prefix}-{i}-{j}", i * 1000 + j, 30)
                assert cache.get(f"{prefix}-{i}-{j}") == i * 1000 + j
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def _child(key):
    cache.set(key, "from the child", 30)


def test_a_forked_process_uses_its_own_connections():
    key = f"t-{uuid.uuid4().hex}"
    cache.set(key, "from the parent", 30)  # the parent's pool has a live connection now
    child = multiprocessing.get_context("fork").Process(target=_child, args=(key,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert cache.get(key) == "from the child"


# --------------------------------------------------------------------------- Redis away

RETRY_AFTER = 0.3


def a_cache(url, **options):
    return RedisCache(
        url,
        {
            "KEY_PREFIX": f"t{uuid.uuid4().hex[:6]}",
            "OPTIONS": {
                "socket_connect_timeout": 0.25,
                "socket_timeout": 0.5,
                "retry_after": RETRY_AFTER,
                **options,
            },
        },
    )


def nothing_listening() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    os.kill(server.proc.pid, signal.SIGCONT)
    server.stop()


def test_with_redis_refusing_reads_are_misses_and_writes_do_nothing_within_milliseconds():
    cache_ = a_cache(nothing_listening())
    started = time.monotonic()
    assert cache_.get("calendar") is None
    assert cache_.get("calendar", "default") == "default"
    assert cache_.get_many(["a", "b"]) == {}
    assert cache_.has_key("a") is False
    assert cache_.add("a", 1) is False
    assert cache_.set("a", 1) is None
    assert cache_.set_many({"a": 1, "b": 2}) == []
    assert cache_.delete("a") is False
    assert cache_.delete_many(["a", "b"]) is None
    assert cache_.touch("a") is False
    assert cache_.get_or_set("counts", lambda: 42) == 42
    with pytest.raises(ValueError):
        cache_.incr("hits")
    assert time.monotonic() - started < 0.5


def test_a_hung_redis_costs_one_timeout_and_is_then_left_alone_until_it_is_tried_again(
    redis_server,
):
    cache_ = a_cache(redis_server.url)
    cache_.set("k", "v", 60)
    os.kill(redis_server.proc.pid, signal.SIGSTOP)  # accepts nothing, answers nothing
    started = time.monotonic()
    assert cache_.get("k") is None
    assert 0.4 < time.monotonic() - started < 2  # one socket timeout
    started = time.monotonic()
    for _ in range(200):
        assert cache_.get("k") is None
    assert time.monotonic() - started < 0.1  # not asked again
    os.kill(redis_server.proc.pid, signal.SIGCONT)
    time.sleep(RETRY_AFTER)
    assert cache_.get("k") == "v"


def test_a_write_lost_while_redis_was_unreachable_does_not_leave_the_older_copy_behind(
    redis_server,
):
    cache_ = a_cache(redis_server.url)
    cache_.set("calendar", "before the holiday was added", 600)
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    cache_.set("calendar", "after", 600)  # does not reach Redis
    cache_.delete("counts")
    os.kill(redis_server.proc.pid, signal.SIGCONT)  # back, with its data
    time.sleep(RETRY_AFTER)
    assert cache_.get("calendar") is None  # a miss: read from the database again
    cache_.set("calendar", "after", 600)
    assert cache_.get("calendar") == "after"


def test_an_outage_is_logged_when_it_starts_and_ends_and_never_names_a_key(caplog):
    cache_ = a_cache(nothing_listening())
    secret_key = "person:640104195803120026"
    with caplog.at_level(logging.INFO, logger="civilaffairs.outage"):
        for _ in range(50):
            cache_.get(secret_key)
            cache_.set(secret_key, "x")
    records = [r for r in caplog.records if r.name == "civilaffairs.outage"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "Redis cache unavailable" in records[0].getMessage()
    assert "ConnectionError" in records[0].getMessage()
    assert all(secret_key not in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)


def test_the_end_of_an_outage_is_logged_with_what_it_cost(redis_server, caplog):
    cache_ = a_cache(redis_server.url)
    with caplog.at_level(logging.INFO, logger="civilaffairs.outage"):
        os.kill(redis_server.proc.pid, signal.SIGSTOP)
        for _ in range(10):
            cache_.get("k")
        os.kill(redis_server.proc.pid, signal.SIGCONT)
        time.sleep(RETRY_AFTER)
        cache_.get("k")
    messages = [r.getMessage() for r in caplog.records if r.name == "civilaffairs.outage"]
    assert len(messages) == 2
    assert "Redis cache available again" in messages[1]
    assert "(10 calls went without it)" in messages[1]
