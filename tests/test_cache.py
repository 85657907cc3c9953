"""The cache backend keeps one Redis client per pool (civilaffairs/lib/cache.py) and still
works from threads and from forked processes (gunicorn and Celery fork their workers)."""

import multiprocessing
import threading
import uuid

from django.core.cache import cache


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
