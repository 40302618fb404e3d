"""Reads that tolerate a little lag go to the standby; the user who just wrote reads the primary.

With `DATABASE_REPLICA_URL` set, settings add a `replica` alias (in the cluster: HAProxy's port
that Patroni's `GET /replica` check sends to the standby, docs/cluster.md). Only the views named
in `GRIDOPS_REPLICA_READ_VIEWS` (tiles, KPIs, exports, Open311 GET: figures a person looks at, not
state a client acts on) read from it, and only for GET/HEAD outside a transaction. Everything
else, every write and the accounts/sessions/tokens that authenticate a request read `default`.

Read-your-own-writes: a successful unsafe request (POST, PUT, PATCH, DELETE) by a signed-in user
sets a marker in the shared cache for `GRIDOPS_READ_YOUR_WRITES_SECONDS`; while it lives, that
user's reads stay on the primary, whichever node serves them. Anonymous readers (Open311 GET)
have nothing of theirs to read back. Without the replica alias the router answers None, so
Django uses `default` exactly as before.

The decision is taken once per request (the first read after the user is known) and kept on the
request, so a view never mixes the two databases mid-way (a tile's version and its rows come from
the same one; `read_alias()` is what raw-SQL readers such as the tiles use).
"""
from __future__ import annotations

import contextlib

from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.functional import SimpleLazyObject, empty
from redis.exceptions import RedisError

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Authentication reads the primary: a token or session created a moment ago must be found.
PRIMARY_APPS = frozenset({"auth", "sessions", "authtoken", "rest_framework_api_key", "accounts"})
_DECIDED = "_gridops_read_alias"


class _Scope:
    """The current request, when its view may read from the replica."""

    request = None


_scope: ContextVar[_Scope | None] = ContextVar("gridops_read_scope", default=None)


def _marker(user_id) -> str:
    return f"read-your-writes:{user_id}"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _known_user(request):
    """The request's user if authentication has already run, else None (never runs it here: the
    session and token lookups are reads themselves)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user


def wrote_recently(user_id) -> bool:
    try:
        return cache.get(_marker(user_id)) is not None
    except (RedisError, OSError):  # no marker to read: the primary is always right
        return True


def note_write(user_id) -> None:
    try:
        cache.set(_marker(user_id), 1, timeout=settings.GRIDOPS_READ_YOUR_WRITES_SECONDS)
    except (RedisError, OSError):  # replica reads of this user may lag; the write itself stands
        pass


def _in_transaction() -> bool:
    """A transaction the code opened on the primary reads what it wrote there. (The test
    harness's own wrapping transaction does not count: Django marks it `_from_testcase`.)"""
    return any(not getattr(block, "_from_testcase", False)
               for block in connections[DEFAULT_DB_ALIAS].atomic_blocks)


@contextlib.contextmanager
def primary_reads():
    """Reads inside go to the primary, whatever the request's scope: for what is read once and
    then kept for other requests (the token cache's preloaded rows), which must not be a standby's
    lagging copy."""
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


def read_alias() -> str:
    """The alias the current read goes to."""
    scope = _scope.get()
    request = scope.request if scope is not None else None
    if request is None or not replica_configured() or _in_transaction():
        return DEFAULT_DB_ALIAS
    decided = request.__dict__.get(_DECIDED)
    if decided:
        return decided
    user = _known_user(request)
    if user is None:
        return DEFAULT_DB_ALIAS
    if not user.is_authenticated:
        return REPLICA  # not kept: a token may still authenticate the request
    alias = DEFAULT_DB_ALIAS if wrote_recently(user.pk) else REPLICA
    request.__dict__[_DECIDED] = alias
    return alias


class ReplicaRouter:
    """DATABASE_ROUTERS entry: lag-tolerant reads to the replica, the rest to the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_APPS:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the standby follows the primary's WAL


class ReplicaReadsMiddleware:
    """Opens the replica scope for the views named in GRIDOPS_REPLICA_READ_VIEWS and sets the
    read-your-writes marker after a successful unsafe request. Sits after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _scope.set(_Scope())
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 400 and replica_configured():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                note_write(user.pk)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (request.method in SAFE_METHODS and match is not None
                and match.url_name in settings.GRIDOPS_REPLICA_READ_VIEWS):
            scope = _scope.get()
            if scope is not None:
                scope.request = request
        return None
