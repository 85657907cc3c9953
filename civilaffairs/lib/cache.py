"""Django's Redis cache backend, keeping one client per connection pool.

Django's client builds a new `redis.Redis` for every cache call, and building one copies a
table of some 170 response callbacks: about half of what a `cache.get` cost here, paid on
every request for the session alone. A `redis.Redis` is thread-safe and only wraps its pool,
so one per pool is kept instead. Forks are safe: redis-py's pool notices a new process id and
opens fresh connections.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
