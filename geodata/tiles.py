"""A generic Mapbox Vector Tile server: /tiles/<layer>/<z>/<x>/<y>.pbf straight from PostGIS.

The spatial core knows tiles, not incidents. Layers are providers registered by dotted path in
`GRIDOPS_TILE_LAYERS` (pygeoapi's pluggable providers; `geodata.conf.tile_layers`): each is a
small `Layer` class that answers "what is in this tile" as one `ST_AsMVT` statement, whether it
depends on the caller, and its data version. The zone geometry layer lives in `geodata.layers`;
domain layers live in their own apps and are named only in settings (the incidents app's
`tiles` module draws incidents, and zones with incident counts). This module only adapts a
layer to HTTP.

Caching: a tile carries a strong ETag made of the layer, the tile, the caller's scope (for a layer
that depends on the caller: `Layer.scope_key`, e.g. the SQL of their visibility filter, so users
who see the same share it), the layer's data version and its parameters. Tiles that depend on the
caller are `Cache-Control: private, no-cache` (the browser revalidates, the server answers 304);
the rest are `public, max-age`. The bytes are kept in the Redis cache under the ETag, so operators
of one town share the work, and in the serving process too (`ProcessTiles`), so a warm tile costs
no Redis round trip.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET
from redis.exceptions import RedisError

from gridops.core.conditional import conditional_response
from gridops.core.dbrouter import read_alias
from gridops.core.errors import GridOpsError, InvalidInput, NotAuthenticated, NotFound, error_response
from gridops.core.tokens import TokenRejected, request_token_user

from . import conf

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
# Web-Mercator width of the world in metres: a tile at zoom z is WORLD / 2**z wide.
WORLD_M = 40075016.685578488

# The tile envelope in 3857 and, with the buffer, in 4326, written inline (not as a CTE): the
# functions are immutable, so PostgreSQL folds them into constants at plan time and can estimate
# and use the GiST index; a CTE referenced twice is materialised and hides the box from the planner.
ENV = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
ENV_4326 = "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)"
# Sent ahead of every render query (see `render_tile`).
RENDER_SETTINGS = "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; "


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def __post_init__(self):
        if not 0 <= self.z <= MAX_ZOOM:
            raise InvalidInput(f"zoom must be between 0 and {MAX_ZOOM}", field="z")
        limit = 2 ** self.z
        if not 0 <= self.x < limit:
            raise InvalidInput(f"x must be between 0 and {limit - 1} at zoom {self.z}", field="x")
        if not 0 <= self.y < limit:
            raise InvalidInput(f"y must be between 0 and {limit - 1} at zoom {self.z}", field="y")

    @property
    def width_m(self) -> float:
        return WORLD_M / (2 ** self.z)

    def params(self) -> dict:
        """The named parameters `ENV` and `ENV_4326` need."""
        return {"z": self.z, "x": self.x, "y": self.y, "margin": BUFFER / EXTENT}


def read_connection():
    """The connection tile queries read: the standby for the views that tolerate lag when one is
    configured (`gridops.core.dbrouter`), so a tile's version and its rows come from one database."""
    return connections[read_alias()]


def compiled(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def named(sql: str, params: tuple, prefix: str) -> tuple[str, dict]:
    """Turn a compiled queryset's %s placeholders into named ones so it can join a dict query."""
    names = {}
    parts = sql.replace("%%", "\x00").split("%s")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        key = f"{prefix}{i}"
        names[key] = params[i]
        out += f"%({key})s" + part
    return out.replace("\x00", "%%"), names


def subquery(qs: QuerySet, prefix: str = "p") -> tuple[str, dict]:
    """A queryset as SQL with named parameters, to be wrapped by a tile query."""
    return named(*compiled(qs), prefix)


class Layer:
    """One tile layer (a provider): whether it depends on the caller, its data version, its SQL.

    `name` is the URL name it is registered under, which is also the MVT layer's name."""

    needs_user = True

    def __init__(self, name: str):
        self.name = name

    def is_private(self, request) -> bool:
        """Whether this answer depends on the caller (then `private, no-cache`)."""
        return self.needs_user

    def varies_by_caller(self, request) -> bool:
        """Whether the answer to this URL depends on who asks (then `Vary: Authorization, Cookie`)."""
        return self.needs_user

    def scope_key(self, request) -> str:
        """What of the caller a private tile depends on; callers with the same key share tiles.
        The default is the user, the safe choice; layers override it with something coarser."""
        return f"user:{request.user.pk}"

    def version(self, request) -> str:
        raise NotImplementedError

    def cache_key_parts(self, request) -> list[str]:
        return []

    def sql(self, tile: Tile, request) -> tuple[str, dict]:
        raise NotImplementedError


class LayerRegistry(Mapping):
    """The configured layers by URL name, imported on first use (after the apps are loaded) and
    again when a test changes `GRIDOPS_TILE_LAYERS`."""

    def __init__(self):
        self._layers: dict[str, Layer] | None = None

    def _loaded(self) -> dict[str, Layer]:
        if self._layers is None:
            self._layers = {name: import_string(path)(name) for name, path in conf.tile_layers().items()}
        return self._layers

    def reset(self, **kwargs) -> None:
        if kwargs.get("setting") in (None, "GRIDOPS_TILE_LAYERS"):
            self._layers = None

    def __getitem__(self, name: str) -> Layer:
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


LAYERS = LayerRegistry()
setting_changed.connect(LAYERS.reset)


# --- HTTP -------------------------------------------------------------------------------------

def render_tile(layer: Layer, tile: Tile, request) -> bytes:
    """Run the tile query (also what `bench/tiles.py` times against the HTTP endpoint)."""
    try:
        query, params = layer.sql(tile, request)
    except EmptyResultSet:  # the layer's queryset can match nothing for this caller: the empty tile
        return b""
    # JIT off for this statement only: PostGIS's function costs make big tiles look expensive
    # enough to JIT-compile, which took ~0.9 s of a z12 tile's 1.3 s. No parallel workers either:
    # tiles are many small concurrent statements on a busy server, where a worker's start and
    # gather cost more than they save (a district-wide cluster tile ran in half the time alone).
    # One round trip, no side effect: in autocommit the statements of one query string run as
    # one implicit transaction, which `SET LOCAL` is confined to (no BEGIN/COMMIT round trips of
    # an atomic block: under live load they were a tenth of a render's Python); inside a caller's
    # transaction `SET LOCAL` lasts until it ends, as it did.
    db = read_connection()
    with db.cursor() as cursor:
        cursor.execute(RENDER_SETTINGS + query, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _authenticate_token(request) -> TokenRejected | None:
    """Tablets send `Authorization: Token|Bearer <key>` instead of a session cookie (the one token
    rule of `gridops.core.tokens`). A rejected token is returned, not raised: on a public layer
    the caller simply gets the public tile, on a private one the view answers 401 with it."""
    if request.user.is_authenticated:
        return None
    try:
        user = request_token_user(request)
    except TokenRejected as exc:
        return exc
    if user is not None:
        request.user = user
    return None


class _Turn:
    """One render of one tile in progress: the lock its waiters queue on, and its bytes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.body: bytes | None = None


class ProcessTiles:
    """Rendered tiles kept in this process under their cache key (which holds the ETag, so the
    data version): the warm tile of the throughput bench spent more on its Redis GET than on
    anything else of its own. Bounded by bytes (least recently used out first) and by the same
    lifetime as the Redis copy. Shared by the request threads, hence the lock."""

    def __init__(self):
        self._tiles: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._rendering: dict[str, _Turn] = {}

    def get(self, key: str) -> bytes | None:
        with self._lock:
            held = self._tiles.get(key)
            if held is None:
                return None
            if held[0] < time.monotonic():
                self._drop(key)
                return None
            self._tiles.move_to_end(key)
            return held[1]

    def put(self, key: str, body: bytes) -> None:
        limit = conf.tiles_process_cache_bytes()
        if len(body) > limit // 8:
            return  # one huge tile must not push out everything else
        with self._lock:
            if key in self._tiles:
                self._drop(key)
            self._tiles[key] = (time.monotonic() + conf.tiles_server_cache(), body)
            self._bytes += len(body)
            while self._bytes > limit:
                self._drop(next(iter(self._tiles)))

    def once(self, key: str, render: Callable[[], bytes]) -> bytes:
        """`render()`'s bytes, run by one request thread of this process at a time per key; the
        others wait for its bytes. When an incident changes, every operator's map asks for the
        same new low-zoom zone tiles at once (the load test's slowest request, p50 40 s): each
        request used to run the same counting query."""
        with self._lock:
            turn = self._rendering.setdefault(key, _Turn())
        try:
            with turn.lock:
                if turn.body is None:  # the first here, or the one before failed
                    body = self.get(key)
                    if body is None:
                        body = render()
                        self.put(key, body)
                    turn.body = body
                return turn.body
        finally:
            with self._lock:
                if self._rendering.get(key) is turn:
                    del self._rendering[key]  # later requests find the bytes kept (or render anew)

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._tiles.clear()
            self._bytes = 0

    def _drop(self, key: str) -> None:
        self._bytes -= len(self._tiles.pop(key)[1])


PROCESS_TILES = ProcessTiles()
setting_changed.connect(PROCESS_TILES.clear)  # a test's changed layers or cache settings start empty


def _cached_render(layer: Layer, tile: Tile, request, key: str) -> bytes:
    """Tile bytes from this process, or else (one request at a time per tile) from the Redis
    cache or rendered."""
    body = PROCESS_TILES.get(key)
    if body is not None:
        return body
    return PROCESS_TILES.once(key, lambda: _shared_render(layer, tile, request, key))


def _shared_render(layer: Layer, tile: Tile, request, key: str) -> bytes:
    """Tile bytes from the Redis cache, or rendered and stored there; a lost Redis only costs the cache."""
    try:
        body = cache.get(key)
    except (RedisError, OSError):
        body = None
    if body is None:
        body = render_tile(layer, tile, request)
        try:
            cache.set(key, body, conf.tiles_server_cache())
        except (RedisError, OSError):
            pass  # serving the tile matters more than caching it
    return body


def tile_etag(layer: Layer, tile: Tile, request) -> str:
    scope = layer.scope_key(request) if layer.is_private(request) else "public"
    parts = [layer.name, f"{tile.z}/{tile.x}/{tile.y}", scope, layer.version(request),
             *layer.cache_key_parts(request)]
    return '"' + hashlib.sha1("|".join(parts).encode()).hexdigest() + '"'


@require_GET
def tile_view(request, layer: str, z: int, x: int, y: int):
    try:
        found = LAYERS.get(layer)
        if found is None:
            raise NotFound(f"unknown layer {layer!r}; use one of {', '.join(sorted(LAYERS))}", field="layer")
        tile = Tile(z, x, y)
        rejected = _authenticate_token(request)
        if found.needs_user and found.is_private(request) and not request.user.is_authenticated:
            raise rejected or NotAuthenticated("sign in to see this layer")
        etag = tile_etag(found, tile, request)
        private = found.is_private(request)
        cache_control = {"private": True, "no_cache": True} if private else {
            "public": True, "max_age": conf.tiles_public_max_age()}
        # The same URL answers differently when signed in: no cache may hand one caller's tile
        # (or the anonymous one, cached for an hour) to another.
        vary = ("Authorization", "Cookie") if found.varies_by_caller(request) else ()
        return conditional_response(  # 304 by Django's If-None-Match rules (gridops.core.conditional)
            request, etag=etag, cache_control=cache_control, vary=vary,
            build=lambda: HttpResponse(_cached_render(found, tile, request, "tile:" + etag.strip('"')),
                                       content_type=MVT_CONTENT_TYPE))
    except GridOpsError as exc:
        return error_response(exc)
