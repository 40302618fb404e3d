"""The reference generation never repeats: a cleared cache must not bring back an old version
that a process still holds (seen as a stale catalogue on the tablet after a test cleared Redis)."""
from django.core.cache import cache

from gridops.core import refcache


def test_a_cleared_cache_never_brings_back_a_generation(settings):
    settings.GRIDOPS_REFERENCE_CHECK_SECONDS = 0  # Redis's value on every call: what is tested here
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


def test_a_process_trusts_its_generation_briefly_and_sees_its_own_bumps_at_once(settings):
    """Another process's bump is seen within GRIDOPS_REFERENCE_CHECK_SECONDS (no Redis GET per
    request meanwhile); this process's own bump at once."""
    import time

    settings.GRIDOPS_REFERENCE_CHECK_SECONDS = 0.5
    refcache.bump_now()
    mine = refcache.generation()
    cache.set(refcache.GENERATION_KEY, mine + 1, None)  # another process bumped
    assert refcache.generation() == mine
    time.sleep(0.6)
    assert refcache.generation() == mine + 1
    refcache.bump_now()
    assert refcache.generation() > mine + 1
