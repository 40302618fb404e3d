"""The cache reuses one Redis connection pool per process (issue 13: a new connection per request)."""
import asyncio

from asgiref.sync import sync_to_async
from django.core.cache import cache


def _pool_id() -> int:
    cache.get("probe")
    return id(cache._cache._get_connection_pool(False))


def test_requests_in_other_contexts_share_the_pool():
    """Under ASGI each request is its own context, with its own cache object (asgiref Local)."""
    async def two_contexts():
        first = await asyncio.create_task(sync_to_async(_pool_id, thread_sensitive=False)())
        second = await asyncio.create_task(sync_to_async(_pool_id, thread_sensitive=False)())
        return first, second

    first, second = asyncio.run(two_contexts())
    assert first == second == _pool_id()


def _client():
    cache.get("probe")
    return cache._cache.get_client()  # the object itself: an id() could be reused once freed


def test_cache_calls_in_other_contexts_share_one_redis_client():
    """Django builds a `redis.Redis` per cache call (redis-py 8: ~170 callbacks each); ours is
    built once per process and shared by every request context and thread."""
    async def two_contexts():
        first = await asyncio.create_task(sync_to_async(_client, thread_sensitive=False)())
        second = await asyncio.create_task(sync_to_async(_client, thread_sensitive=False)())
        return first, second

    first, second = asyncio.run(two_contexts())
    assert first is second is _client()
    cache.set("probe", {"n": 1}, 5)  # the shared client still reads and writes
    assert cache.get("probe") == {"n": 1}
