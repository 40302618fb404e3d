"""One Redis connection pool, and one Redis client, per process for Django's cache.

Django keeps cache objects in an `asgiref.local.Local`, which under ASGI is per request context,
so every request built a new `RedisCache`, a new connection pool and a new TCP connection (with
redis-py 8's HELLO handshake): a third of a cached `services.json` request in the py-spy profile.
`CACHES[...]["OPTIONS"]["pool_class"]` points here; `from_url` hands back the process's pool for
that URL and options, so cache calls reuse open connections (redis-py pools are thread-safe).

Django also builds a new `redis.Redis` for every cache *call* (`RedisCacheClient.get_client`),
and redis-py 8's constructor fills a case-insensitive table of ~170 response callbacks: 0.4 ms
of CPU per call, two or three calls per tablet request (token, reference generation, tile). The
`SharedRedisCache` backend keeps one client per process for each LOCATION and OPTIONS; a
`redis.Redis` on a pool is safe to share between threads (each command borrows a connection).
"""
from __future__ import annotations

import threading

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_lock = threading.Lock()
_pools: dict[tuple, redis.ConnectionPool] = {}
_cache_clients: dict[tuple, RedisCacheClient] = {}


def _options_key(options: dict) -> tuple:
    return tuple(sorted((name, repr(value)) for name, value in options.items()))


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs):
        key = (url, _options_key(kwargs))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = redis.ConnectionPool.from_url(url, **kwargs)
            return pool


class _ReusedClient(RedisCacheClient):
    """Django's cache client, handing out one `redis.Redis` per pool instead of one per call."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class SharedRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` whose client is the process's, not the
    request context's (`CACHES[...]["BACKEND"]`)."""

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), _options_key(self._options))
        with _lock:
            client = _cache_clients.get(key)
            if client is None:
                client = _cache_clients[key] = _ReusedClient(self._servers, **self._options)
            return client

    def clear(self) -> None:
        """Delete this cache's keys only (its KEY_PREFIX), not the whole Redis database: Django's
        `clear()` is FLUSHDB, which also wiped the rate-limit counters, reference generation and
        event stream of whatever else shares the database (another xdist worker, a bench, the
        demo server)."""
        pattern = self.make_key("*")
        client = self._cache.get_client(pattern, write=True)
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
