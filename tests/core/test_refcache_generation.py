"""The reference generation never repeats: a cleared cache must not bring back an old version
that a process still holds (seen as a stale catalogue on the tablet after a test cleared Redis)."""
from django.core.cache import cache

from gridops.core import refcache


def test_a_cleared_cache_never_brings_back_a_generation():
    cache.clear()
    refcache.bump_now()
    first = refcache.generation()
    cache.clear()
    refcache.bump_now()
    second = refcache.generation()
    assert second != first  # a counter restarted from 1 twice: the old version's responses came back
    cache.clear()
    third = refcache.generation()  # no bump since the clear: still a new generation
    assert third not in (first, second) and third > 0
    assert refcache.generation() == third  # stable until the next bump


def test_clearing_the_cache_leaves_other_namespaces_alone(settings):
    """cache.clear() was Redis FLUSHDB: one xdist worker's clear wiped the other's rate-limit
    counters and reference generation mid-test."""
    client = cache._cache.get_client(None, write=True)
    client.set("someone-else:ratelimit:x", "3")
    cache.set("mine", 1)
    cache.clear()
    assert cache.get("mine") is None
    assert client.get("someone-else:ratelimit:x") == b"3"
    client.delete("someone-else:ratelimit:x")
