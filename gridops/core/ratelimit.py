"""Fixed-window rate limits kept in Redis (the Django cache), shared by every server process.

Used on login, Open311 POST and the public verification pages. Over the limit a request gets
429 with Retry-After and the usual error body; nothing is stored for it.
"""
from __future__ import annotations

import functools
import time

from django.core.cache import cache
from django.http import JsonResponse

from .errors import error_body


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/m' → (10, 60); units s, m, h, d."""
    count, _, unit = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit.strip()[:1]]
    return int(count), seconds


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(scope: str, key: str, rate: str) -> int | None:
    """Count one request; returns the seconds to wait when over the limit, else None."""
    limit, window = parse_rate(rate)
    now = int(time.time())
    bucket = now // window
    cache_key = f"ratelimit:{scope}:{key}:{bucket}"
    added = cache.add(cache_key, 1, timeout=window + 1)
    count = 1 if added else cache.incr(cache_key)
    if count > limit:
        return window - (now % window) or 1
    return None


def over_limit(scope: str, rate: str, request, key=client_ip) -> int | None:
    """Count this request against the scope; seconds to wait when over the limit (for views that
    answer in their own error format, like Open311), else None."""
    return hit(scope, key(request), _rate_for(scope, rate))


def too_many(retry_after: int) -> JsonResponse:
    response = JsonResponse(error_body("rate_limited", f"too many requests; retry in {retry_after} s"), status=429)
    response["Retry-After"] = str(retry_after)
    return response


def ratelimit(scope: str, rate: str, methods: tuple[str, ...] = ("POST",), key=client_ip):
    """Decorate a Django view function (or a DRF view's method) with a per-client limit."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            request = next(a for a in args if hasattr(a, "META"))
            if request.method in methods:
                retry_after = over_limit(scope, rate, request, key)
                if retry_after is not None:
                    return too_many(retry_after)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _rate_for(scope: str, default: str) -> str:
    from django.conf import settings

    return getattr(settings, "GRIDOPS_RATE_LIMITS", {}).get(scope, default)


def reset_all() -> int:
    """Forget every rate-limit counter (tests start each case with fresh windows)."""
    pattern = cache.make_key("ratelimit:*")
    client = cache._cache.get_client(pattern, write=True)
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)
