"""The one token authentication of GridOps: DRF views, vector tiles and websockets all use it.

Tablets and other native clients sign in with `POST /api/v1/auth/token` and then present the
key as `Authorization: Token <key>` or `Authorization: Bearer <key>` (the scheme most HTTP and
websocket libraries send by default). Before this module there were three hand-written copies
(the DRF class, the tile view and the websocket consumer) that disagreed: tiles refused `Bearer`
and the consumer did not load the profile. One rule now decides what a token means:

- no `Authorization` header, or another scheme (Basic, …): no token was presented;
- `Token`/`Bearer` with a key of an active user: that user (profile and zone loaded in the same
  query, the tablet's hot path);
- anything else presented as a token (unknown key, inactive user, malformed header): rejected.

What a rejection costs is the caller's decision: DRF answers 401, a private tile 401, a public
tile is served as to anyone, and a websocket is closed with 4401.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import time
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from .dbrouter import primary_reads
from .errors import NotAuthenticated

SCHEMES = ("token", "bearer")


class TokenRejected(NotAuthenticated):
    """A token was presented and is not valid (unknown, revoked, inactive user, malformed)."""

    code = "invalid_token"


def token_key_from_header(header: str | bytes | None) -> str | None:
    """The key of an `Authorization: Token|Bearer <key>` header; None if no token is presented.

    Raises TokenRejected for a `Token`/`Bearer` header that does not hold exactly one key.
    """
    if not header:
        return None
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    parts = header.split()
    if not parts or parts[0].lower() not in SCHEMES:
        return None
    if len(parts) != 2:
        raise TokenRejected("invalid token header: use 'Authorization: Token <key>' or 'Bearer <key>'")
    return parts[1]


CACHE_SECONDS = 60

# What the domain apps' hot paths read about every token user, loaded once before the user is
# cached instead of queried on every request (a grid worker's micro-grids: the intake reply's
# allowed transitions asked the database for them on every report). Apps append a function of
# the user in their AppConfig.ready(); what it stores on the user is cached with it, so it must
# be something `forget_user` is called for when it changes (the revocation receivers).
user_preloaders: list = []


def _cache_key(key: str) -> str:
    return "token-user:" + hashlib.sha256(key.encode()).hexdigest()[:40]


_CODE_DIGEST = "_gridops_code_digest"


@functools.cache
def code_digest() -> str:
    """A digest of the project's Python source, read once per process (`CoreConfig.ready`, so it
    is the source the process loaded, not what a later checkout left on disk).

    A cached token user carries what the preloaders compiled from the rules in code (the reach
    statement, the tiles' visibility digest). A deploy that changes a rule must not serve users
    cached by the previous code for the rest of their minute, so each cached user carries the
    digest of the code that built it, and another digest, or none, reads as a miss. It rides as
    an attribute, not a wrapper, under the same key: a node still on the previous code reads the
    value as the user it always was (a rolling deploy), and `forget_user` from either drops it.
    Source that cannot be read gives a digest of this process alone: every read is then a miss,
    never a stale user."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha1()
    try:
        for package in ("gridops", "geodata"):
            for path in sorted((root / package).rglob("*.py")):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    except OSError:
        return "process-" + os.urandom(8).hex()
    return digest.hexdigest()[:16]


def _cached_user(value):
    """The cached user if this code built it, else None."""
    if value is not None and getattr(value, _CODE_DIGEST, None) == code_digest():
        return value
    return None


def user_for_token(key: str | None):
    """The active user holding this token key (profile and zone loaded), or None.

    The user is kept in the cache (under a hash of the key, never the key) for CACHE_SECONDS, so
    a tablet's requests do not each query token, user, profile and zone (it showed in the
    profile under load). `forget_user` drops it when the token is deleted or the user's account,
    role, zone, department or grids change (gridops/realtime/revocation.py, after commit).
    """
    from rest_framework.authtoken.models import Token

    if not key or len(key) > 64 or "\x00" in key:
        return None
    cache_key = _cache_key(key)
    held = _held.get(cache_key)
    if held is not None and time.monotonic() < held[0]:
        return pickle.loads(held[1])  # a fresh object per request, as from Redis
    try:
        user = _cached_user(cache.get(cache_key))
    except (RedisError, OSError):
        user = None
    if user is not None:
        _hold(cache_key, user)
        return user
    token = (Token.objects.select_related("user", "user__profile", "user__profile__zone")
             .defer("user__profile__zone__geom").filter(key=key).first())
    if token is None or not token.user.is_active:
        return None
    with primary_reads():  # kept for a minute and for every view: never a standby's lagging rows
        for preload in user_preloaders:
            preload(token.user)
    setattr(token.user, _CODE_DIGEST, code_digest())
    with contextlib.suppress(RedisError, OSError):
        cache.set(cache_key, token.user, CACHE_SECONDS)
    return token.user


def process_seconds() -> float:
    """How long a process reuses a token user it read from Redis before reading it again (0:
    never). A warm tile made two round trips to other processes, Redis for the token and
    PostgreSQL for the data version; on a loaded machine each waits for the other process to be
    scheduled. `forget_user` drops the copy at once in its own process; another process's copy
    lives out this second."""
    return float(getattr(settings, "GRIDOPS_TOKEN_PROCESS_SECONDS", 1.0))


_held: dict[str, tuple[float, bytes]] = {}
_HELD_MAX = 10_000


def _hold(cache_key: str, user) -> None:
    seconds = process_seconds()
    if seconds <= 0:
        return
    if len(_held) >= _HELD_MAX:
        _held.clear()
    _held[cache_key] = (time.monotonic() + seconds, pickle.dumps(user))


def forget_user(user_id: int, *, keys=()) -> None:
    """Drop the cached users of these token keys, and of every token the user holds now."""
    from rest_framework.authtoken.models import Token

    keys = set(keys) | set(Token.objects.filter(user_id=user_id).values_list("key", flat=True))
    for key in keys:
        _held.pop(_cache_key(key), None)
    with contextlib.suppress(RedisError, OSError):
        cache.delete_many([_cache_key(key) for key in keys])


def forget_user_through_commit(user_id: int, *, keys=()) -> None:
    """`forget_user` now and again after the current transaction commits: a request that read
    the old rows in between must not leave them cached. What every change to a cached user's
    inputs calls (the revocation receivers, a change of co-reporters)."""
    from django.db import transaction

    forget_user(user_id, keys=keys)
    transaction.on_commit(lambda: forget_user(user_id, keys=keys))


def authenticate_key(key: str):
    """The user of a presented key, or TokenRejected."""
    user = user_for_token(key)
    if user is None:
        raise TokenRejected("invalid token")
    return user


async def aauthenticate_key(key: str):
    """`authenticate_key` for async code (websockets): the ORM runs in a worker thread."""
    return await sync_to_async(authenticate_key, thread_sensitive=True)(key)


def request_token_user(request):
    """For plain Django views (tiles) and DRF: the token's user, None when none is presented.

    Raises TokenRejected when a token is presented and is not valid. The answer is kept on the
    request: a write is authenticated by the read-only middleware and again by DRF, and each
    lookup is a cache read (twice per tablet report in the intake profile).
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    known = request.__dict__.get("_token_user")
    if known is not None and known[0] == header:
        if isinstance(known[1], TokenRejected):
            raise known[1]
        return known[1]
    try:
        key = token_key_from_header(header)
        user = None if key is None else authenticate_key(key)
    except TokenRejected as exc:
        request._token_user = (header, exc)
        raise
    request._token_user = (header, user)
    return user
