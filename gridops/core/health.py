"""Probes for load balancers and benchmarks: `/healthz` (the process answers) and `/readyz`
(the process can serve: PostgreSQL and the Redis behind cache and event stream answer).

`/healthz` touches neither database nor Redis, so it is also the floor the throughput benches
compare endpoints against: the cost of the ASGI server, Django and the middleware alone.
"""
from __future__ import annotations

import time

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from redis.exceptions import RedisError


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check(probe) -> dict:
    started = time.perf_counter()
    try:
        probe()
    except (DatabaseError, RedisError, OSError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis() -> None:
    """PING through the process's shared pool for REDIS_URL (the cache's and the event stream's
    Redis), with a short timeout: a stuck Redis makes the probe answer 503, not hang."""
    import redis
    from django.conf import settings

    from .redis_pool import SharedConnectionPool

    pool = SharedConnectionPool.from_url(settings.REDIS_URL, socket_timeout=2.0, socket_connect_timeout=2.0)
    redis.Redis(connection_pool=pool).ping()


@never_cache
def readyz(request):
    """200 when PostgreSQL and Redis answer, else 503 naming which did not (no error text: the
    probe is public)."""
    checks = {"postgresql": _check(_postgresql), "redis": _check(_redis)}
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)
