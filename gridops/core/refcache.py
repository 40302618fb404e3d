"""Reference data served from the cache with HTTP validators (issue 13).

The catalogue, the Open311 service list and the command centres change a few times a year but
were rebuilt on every request (1,510 event types: 110 ms of ORM instances and JSON per
`services.json`, 1.6 s each under load). A reference response is rendered once per *version*
and kept in the cache under its ETag; clients get `ETag` + `Cache-Control` and a 304 when they
have it.

The version is a generation number in the cache, bumped after commit whenever a reference row
is saved or deleted (the models in `REFERENCE_MODELS`; bulk imports that bypass `save()` call
`bump()` themselves), together with whatever the caller adds (Open311 adds its `changeset`).
`memoised` keeps reference rows in the process under the same generation, for the intake path.
"""
from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.text import compress_string
from django.utils.translation import get_language
from redis.exceptions import RedisError

from .conditional import conditional_response

GENERATION_KEY = "reference-generation"
CACHE_SECONDS = 24 * 3600
MAX_AGE = 300
REFERENCE_MODELS = ("incidents.EventType", "incidents.Category", "incidents.RoutingRule",
                    "accounts.Department", "geodata.CommandCentre", "geodata.Zone")


def check_seconds() -> float:
    """How long a process trusts the generation it read before asking Redis again (0: every
    call). A change made in this process is seen at once; another process's within this time,
    far inside the `max-age` clients already keep reference responses for. One Redis GET per
    services.json request was the largest of its own costs left in the throughput profile."""
    return float(getattr(settings, "GRIDOPS_REFERENCE_CHECK_SECONDS", 1.0))


_held: tuple[int, float] | None = None  # (generation, monotonic time until which it is trusted)


def generation() -> int:
    """The current reference generation: a value never used before (a clock reading in ns), so a
    cache that was cleared or restarted starts a new generation instead of counting from 1 again
    and meeting responses other processes still hold from the last time it said 1."""
    global _held
    held = _held
    if held is not None and time.monotonic() < held[1]:
        return held[0]
    try:
        value = cache.get(GENERATION_KEY)
        if value is None:
            cache.add(GENERATION_KEY, time.time_ns(), None)
            value = cache.get(GENERATION_KEY)
        value = int(value or 0)
    except (RedisError, OSError):
        return -1  # no cache: every version is new, nothing stale is served
    _held = (value, time.monotonic() + check_seconds())
    return value


def bump_now() -> None:
    global _held
    value = time.time_ns()
    _held = None
    with contextlib.suppress(RedisError, OSError):
        cache.set(GENERATION_KEY, value, None)
        _held = (value, time.monotonic() + check_seconds())


def bump() -> None:
    """A reference row changed: every reference response is rebuilt, now and after commit (a
    request that read the old rows meanwhile must not leave them current)."""
    bump_now()
    transaction.on_commit(bump_now)


def reference_response(request, *, name: str, build: Callable[[], HttpResponse],
                       version: str | Callable[[], object] = "", max_age: int = MAX_AGE) -> HttpResponse:
    """`build()`'s response for this name, version and language, from the cache when it was built
    before; 304 when the client's `If-None-Match` holds the ETag.

    A `version` given as a function (Open311's `changeset`, a query) is reference data itself:
    called once per generation and process, not on every request (it was the one database query
    of a warm `services.json`).

    A client that accepts gzip (every browser, `requests`, OWSLib, the tablets' HTTP stacks) gets
    the body compressed once per version and process: `services.json` is 514 kB of JSON, which a
    tablet on a weak signal waits for and which the server copied into the socket on every
    request. The compressed body is another representation, so it has its own strong ETag, and
    both carry `Vary: Accept-Encoding` (RFC 9110 §8.8.3)."""
    current = generation()
    if callable(version):
        version = memoised(f"{name}|version", None, version, current=current)
    tag = hashlib.sha1(f"{name}|{version}|{current}|{get_language()}".encode()).hexdigest()[:32]
    compressed = accepts_gzip(request)
    etag = f"{tag}-gzip" if compressed else tag
    return conditional_response(request, etag=etag, build=lambda: _current(name, tag, build, compressed=compressed),
                                cache_control={"public": True, "max_age": max_age},
                                vary=("Accept-Language", "Cookie", "Accept-Encoding"))


def accepts_gzip(request) -> bool:
    """Django's own rule (`GZipMiddleware`): the `Accept-Encoding` header names gzip."""
    return bool(re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def _current(name: str, tag: str, build: Callable[[], HttpResponse], *, compressed: bool = False) -> HttpResponse:
    """The response of this version: kept in the process too (hundreds of kB for services.json:
    fetching them from Redis on every request cost more than the rest of the request), with its
    gzip body once a client has asked for it."""
    slot = (name, get_language())
    held = _responses.get(slot)
    if held is None or held[0] != tag:
        stored = _shared(tag, build)
        if stored is None:
            return build()  # not a 200: never kept
        held = _responses[slot] = (tag, stored, {})  # one version per name and language
    content_type, body = held[1]
    if not compressed:
        return HttpResponse(body, content_type=content_type)
    gzipped = held[2].get("gzip")
    if gzipped is None:
        gzipped = held[2]["gzip"] = compress_string(body)
    response = HttpResponse(gzipped, content_type=content_type)
    response["Content-Encoding"] = "gzip"
    return response


_responses: dict[tuple[str, str], tuple[str, tuple[str, bytes], dict[str, bytes]]] = {}
_memo: "OrderedDict[tuple, tuple[int, object]]" = OrderedDict()
_memo_lock = threading.Lock()
MEMO_SIZE = 20_000


def memoised(name: str, key, load: Callable[[], object], *, current: int | None = None):
    """Reference rows kept in this process while the generation stands (one Redis GET instead of
    a database query on the intake path: event types, routing rules, command centres). The rows
    are shared between threads: callers read them, never change them. `current` is the generation
    when the caller has just read it."""
    if current is None:
        current = generation()
    with _memo_lock:
        hit = _memo.get((name, key))
        if hit is not None and hit[0] == current and current >= 0:
            _memo.move_to_end((name, key))
            return hit[1]
    value = load()
    with _memo_lock:
        _memo[(name, key)] = (current, value)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return value


def _shared(tag: str, build: Callable[[], HttpResponse]) -> tuple[str, bytes] | None:
    """(content type, body) from the cache shared by all processes, or built and stored there."""
    key = f"reference:{tag}"
    try:
        stored = cache.get(key)
    except (RedisError, OSError):
        stored = None
    if stored is None:
        response = build()
        if response.status_code != 200:
            return None
        stored = (response["Content-Type"], response.content)
        with contextlib.suppress(RedisError, OSError):
            cache.set(key, stored, CACHE_SECONDS)
    return stored


def connect_receivers() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    def changed(sender, **kwargs):
        bump()

    for label in REFERENCE_MODELS:
        model = apps.get_model(label)
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"refcache.save.{label}")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"refcache.delete.{label}")
