"""Django's Redis cache backend, keeping one client per connection pool, and carrying on
without Redis when it is away.

One client per pool: Django's client builds a new `redis.Redis` for every cache call, and
building one copies a table of some 170 response callbacks: about half of what a `cache.get`
cost here, paid on every request. A `redis.Redis` is thread-safe and only wraps its pool, so
one per pool is kept instead. Forks are safe: redis-py's pool notices a new process id and
opens fresh connections.

Without Redis: the cache only ever holds copies of what PostgreSQL has (the working calendar,
the counts above long queues), so a Redis that refuses, times out or errs is a miss for a read
and a no-op for a write; the page is computed from the database instead of answering 500.
The outage is logged once in a while (lib.outage), and for `retry_after` seconds after a
failure Redis is not asked at all, so a hung server costs a process one socket timeout per
interval, not one per call. Keep the socket timeouts short (settings.CACHES).

A write that did not reach Redis may leave an older copy there (Redis unreachable but still
holding its data): the keys of such writes are deleted as soon as this process reaches Redis
again, before anything else is read.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from .outage import Outage

# Keys whose write failed, to delete once Redis answers. Bounded: past this many the oldest
# are forgotten (they expire by themselves; every key here is written with a timeout).
UNWRITTEN_KEPT = 10_000


class CacheUnavailable(ValueError):
    """`incr` on a key while Redis is away: like a missing key (Django raises ValueError)."""


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args, retry_after: float = 5.0, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self.outage = Outage("Redis cache", retry_after=retry_after)
        self._unwritten: dict[str, None] = {}  # insertion-ordered set

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    # ----------------------------------------------------------------- degrading calls

    def _run(self, call, *args, default=None, writes=()):
        """`call(*args)` on Redis, or `default` when Redis is away (then the keys in `writes`
        are remembered for deletion)."""
        if self.outage.should_skip():
            self._remember(writes)
            return default
        try:
            if self._unwritten:
                self._delete_unwritten()
            result = call(*args)
        except self._lib.RedisError as exc:
            self.outage.failed(exc)
            self._remember(writes)
            return default
        self.outage.succeeded()
        return result

    def _remember(self, keys):
        for key in keys:
            self._unwritten.pop(key, None)
            self._unwritten[key] = None
        while len(self._unwritten) > UNWRITTEN_KEPT:
            del self._unwritten[next(iter(self._unwritten))]

    def _delete_unwritten(self):
        keys = list(self._unwritten)
        for start in range(0, len(keys), 500):
            super().delete_many(keys[start : start + 500])
        for key in keys:
            self._unwritten.pop(key, None)

    def add(self, key, value, timeout):
        return self._run(super().add, key, value, timeout, default=False, writes=(key,))

    def get(self, key, default):
        return self._run(super().get, key, default, default=default)

    def set(self, key, value, timeout):
        self._run(super().set, key, value, timeout, writes=(key,))

    def touch(self, key, timeout):
        return self._run(super().touch, key, timeout, default=False, writes=(key,))

    def delete(self, key):
        return self._run(super().delete, key, default=False, writes=(key,))

    def get_many(self, keys):
        keys = list(keys)
        return self._run(super().get_many, keys, default={})

    def has_key(self, key):
        return self._run(super().has_key, key, default=False)

    def incr(self, key, delta):
        missing = object()
        result = self._run(super().incr, key, delta, default=missing, writes=(key,))
        if result is missing:
            raise CacheUnavailable("the cache is unavailable")
        return result

    def set_many(self, data, timeout):
        self._run(super().set_many, data, timeout, writes=tuple(data))

    def delete_many(self, keys):
        keys = list(keys)
        self._run(super().delete_many, keys, writes=keys)

    def clear(self):
        return self._run(super().clear, default=False)


class RedisCache(DjangoRedisCache):
    """OPTIONS as Django's (passed to redis-py's connection pool), plus `retry_after`: seconds
    to go without Redis after it failed once."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
