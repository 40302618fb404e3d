"""Fixed-window rate limits kept in Redis (the Django cache), shared by every server process.

Used on every login (the login page, the token endpoint, /admin/login/), approvals tickets and
bookings, Open311 POST and the public verification pages. Over the limit a request gets 429 with
Retry-After and the usual error body; nothing is stored for it.

Login limits key on the account the attempt is *for*, as Django will match it, not on the text
sent: Django's forms strip the username and NFKC-normalise it (`UsernameField`), DRF strips it,
so " planner", "planner\t" and the full-width "ｐlanner" are all attempts at `planner` and
count in one bucket (`normalised_identity`).
"""
from __future__ import annotations

import functools
import hashlib
import time
import unicodedata

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


def normalised_identity(value) -> str:
    """An account name as a limit key: stripped, NFKC (what Django authenticates), case-folded
    (case variants share a bucket: stricter than the lookup, never looser)."""
    text = unicodedata.normalize("NFKC", str(value or "").strip()).strip()
    return text.casefold()[:150]


def login_key(request) -> str:
    """Per client address and account: a guesser is slowed without locking out a whole office."""
    data = request.data if hasattr(request, "data") else request.POST  # DRF request or a form post
    username = data.get("username", "") if hasattr(data, "get") else ""
    # Hashed: the account name is whatever the client sent (any length, control characters, a
    # JSON object); the key must stay short and printable for every cache backend.
    account = hashlib.sha256(normalised_identity(username).encode()).hexdigest()[:32]
    return f"{client_ip(request)}:{account}"


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


def login_limited(view):
    """The one limit on signing in, shared by every way in (page, token, admin): one budget."""
    return ratelimit("login", "10/m", key=login_key)(view)


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
