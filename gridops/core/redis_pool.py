"""One Redis connection pool per process for Django's cache.

Django keeps cache objects in an `asgiref.local.Local`, which under ASGI is per request context,
so every request built a new `RedisCache`, a new connection pool and a new TCP connection (with
redis-py 8's HELLO handshake): a third of a cached `services.json` request in the py-spy profile.
`CACHES[...]["OPTIONS"]["pool_class"]` points here; `from_url` hands back the process's pool for
that URL and options, so cache calls reuse open connections (redis-py pools are thread-safe).
"""
from __future__ import annotations

import threading

import redis

_lock = threading.Lock()
_pools: dict[tuple, redis.ConnectionPool] = {}


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs):
        key = (url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = redis.ConnectionPool.from_url(url, **kwargs)
            return pool
