"""Mapbox Vector Tiles straight from PostGIS (`ST_AsMVT`) at /tiles/<layer>/<z>/<x>/<y>.pbf.

Why tiles and not GeoJSON: with the 540,000-incident history the console must never ship rows
the screen cannot show. Small zooms get per-zone counts (the `zones` choropleth) and
`ST_SnapToGrid` clusters; large zooms get points. Visibility is the incidents app's own queryset
(`incidents_visible_to`), compiled to SQL and wrapped by the tile query, so a tile can never
show what the incident list would hide. Layers are a registry of small classes (pygeoapi's
pluggable providers): one place answers "what is in this layer", one view adapts it to HTTP.

Caching: a tile carries a strong ETag made of the layer, the tile, the filters, the caller's
visibility (the SQL of their visibility filter, so users who see the same share it) and a data
version (the newest incident and event ids). Tiles that depend on the user are
`Cache-Control: private, no-cache` (the browser revalidates, the server answers 304); zone
geometry without counts is the same for everyone and is `public, max-age`. The bytes are kept in
the Redis cache under the ETag, so operators of one town share the work.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BinaryField, BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET
from redis.exceptions import RedisError

from gridops.core.errors import GridOpsError, InvalidInput, NotAuthenticated, NotFound, error_response
from gridops.core.tokens import TokenRejected, request_token_user
from geodata.models import Level, Zone

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
# Web-Mercator width of the world in metres: a tile at zoom z is WORLD / 2**z wide.
WORLD_M = 40075016.685578488


def _setting(name: str, default):
    return getattr(settings, name, default)


def point_min_zoom() -> int:
    """From this zoom on, incidents are points; below it, clusters."""
    return int(_setting("GRIDOPS_TILES_POINT_MIN_ZOOM", 14))


def cluster_cells_per_tile() -> int:
    """Clusters per tile side at small zooms (a 256 px tile with 8 cells = 32 px per cluster)."""
    return int(_setting("GRIDOPS_TILES_CLUSTER_CELLS", 8))


def public_max_age() -> int:
    return int(_setting("GRIDOPS_TILES_PUBLIC_MAX_AGE", 3600))


def server_cache_seconds() -> int:
    return int(_setting("GRIDOPS_TILES_SERVER_CACHE", 600))


# Zone level shown at each zoom: towns when the whole district fits, micro-grids when close.
ZOOM_LEVELS = ((12, Level.TOWN), (13, Level.AREA), (14, Level.VILLAGE), (MAX_ZOOM, Level.GRID))
# The incident column that holds the located zone of each level (stored at intake).
LEVEL_COLUMN = {Level.TOWN: "town_id", Level.AREA: "area_id", Level.VILLAGE: "village_id", Level.GRID: "grid_id"}


def zone_level_for_zoom(z: int) -> int:
    return next(level for top, level in ZOOM_LEVELS if z <= top)


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
    def cell_m(self) -> float:
        return WORLD_M / (2 ** self.z) / cluster_cells_per_tile()


# The tile envelope in 3857 and, with the buffer, in 4326, written inline (not as a CTE): the
# functions are immutable, so PostgreSQL folds them into constants at plan time and can estimate
# and use the GiST index; a CTE referenced twice is materialised and hides the box from the planner.
ENV = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
ENV_4326 = "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)"


def _compiled(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _named(sql: str, params: tuple, prefix: str) -> tuple[str, dict]:
    """Turn a compiled queryset's %s placeholders into named ones so it can join a dict query."""
    names = {}
    parts = sql.replace("%%", "\x00").split("%s")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        key = f"{prefix}{i}"
        names[key] = params[i]
        out += f"%({key})s" + part
    return out.replace("\x00", "%%"), names


# --- incident filters -------------------------------------------------------------------------

_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _moment(value: str, name: str, *, end: bool = False) -> datetime:
    """A date-time, or a bare date meaning its midnight (the next midnight for an end, so the day is
    included). The date is tried first: Django 5 parses a bare date as a date-time too. Impossible
    dates (30 February, the day after 9999-12-31) are a 400 like any bad text."""
    try:
        day = parse_date(value)
        if day is not None:
            parsed = datetime.combine(day + timedelta(days=1) if end else day, time.min)
        else:
            parsed = parse_datetime(value)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise InvalidInput(f"{name} must be an ISO date or date-time", field=name)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@dataclass(frozen=True)
class IncidentFilters:
    """Console filters as query parameters: status, category, priority, since, until, days, overdue."""

    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    overdue_only: bool = False
    key: str = field(default="", compare=False)

    @classmethod
    def parse(cls, params) -> "IncidentFilters":
        from gridops.incidents.models import OPEN_STATUSES, Priority, Status

        statuses: list[str] = []
        for status in _split(params.get("status")):
            if status == "open":
                statuses.extend(OPEN_STATUSES)
            elif status in Status.values:
                statuses.append(status)
            else:
                raise InvalidInput(f"unknown status {status!r}; use open or one of {', '.join(Status.values)}",
                                   field="status")
        priorities = _split(params.get("priority"))
        for priority in priorities:
            if priority not in Priority.values:
                raise InvalidInput(f"unknown priority {priority!r}", field="priority")
        categories = _split(params.get("category"))
        for code in categories:
            if not _CODE_RE.match(code):
                raise InvalidInput(f"bad category code {code!r}", field="category")
        since = _moment(params["since"], "since") if params.get("since") else None
        until = _moment(params["until"], "until", end=True) if params.get("until") else None
        if params.get("days"):
            try:
                days = float(params["days"])
            except ValueError:
                raise InvalidInput("days must be a number", field="days") from None
            if not 0 < days <= 3660:
                raise InvalidInput("days must be between 0 and 3660", field="days")
            since = max(since, timezone.now() - timedelta(days=days)) if since else timezone.now() - timedelta(days=days)
        overdue_only = params.get("overdue") in ("1", "true", "yes")
        key = "|".join([",".join(sorted(set(statuses))), ",".join(sorted(categories)), ",".join(sorted(priorities)),
                        since.isoformat() if since and not params.get("days") else params.get("days", ""),
                        until.isoformat() if until else "", str(overdue_only)])
        return cls(tuple(sorted(set(statuses))), tuple(categories), tuple(priorities), since, until, overdue_only, key)

    def apply(self, qs: QuerySet) -> QuerySet:
        from gridops.incidents.sla import overdue_q

        if self.statuses:
            qs = qs.filter(status__in=self.statuses)
        if self.categories:
            qs = qs.filter(category__code__in=self.categories)
        if self.priorities:
            qs = qs.filter(priority__in=self.priorities)
        if self.since:
            qs = qs.filter(reported_at__gte=self.since)
        if self.until:
            qs = qs.filter(reported_at__lt=self.until)
        if self.overdue_only:
            qs = qs.filter(overdue_q())
        return qs


# --- layers -----------------------------------------------------------------------------------

class Layer:
    """One tile layer: whether it depends on the caller, its data version, and its SQL."""

    name = ""
    needs_user = True

    def is_private(self, request) -> bool:
        return self.needs_user

    def varies_by_caller(self, request) -> bool:
        """Whether the answer to this URL depends on who asks (then `Vary: Authorization, Cookie`)."""
        return self.needs_user

    def version(self) -> str:
        raise NotImplementedError

    def sql(self, tile: Tile, request) -> tuple[str, dict]:
        raise NotImplementedError

    def cache_key_parts(self, request) -> list[str]:
        return []


def _visible_incidents(request) -> QuerySet:
    """The caller's visible incidents, built once per request (the ETag and the tile both use it)."""
    from gridops.incidents.selectors import incidents_visible_to

    memo = getattr(request, "_gridops_visible_incidents", None)
    if memo is None:
        memo = request._gridops_visible_incidents = incidents_visible_to(request.user)
    return memo


def visibility_key(request) -> str:
    """Users whose visibility compiles to the same SQL see the same tiles (and share the cache)."""
    qs = _visible_incidents(request)
    if qs.query.is_empty():
        return "none"
    sql, params = _compiled(qs.values("id"))
    return hashlib.sha1(repr((sql, params)).encode()).hexdigest()[:16]


def data_version(*, zones: bool = False) -> str:
    """Newest incident id and newest incident event id (and the zone table's size and newest id):
    one round trip.

    Every change of an incident publishes an `incident.*` event, so that event id moves with
    updates; the incident id covers rows written in bulk without events (history imports). Other
    events (a grid worker's position ping every few seconds, hall queues) leave the tiles' ETags
    alone, or the tile cache would never hit under live load. The newest incident event is found
    by walking the event ids backwards past the few non-incident events at the tail.
    """
    zone_part = ", (SELECT count(*) FROM geodata_zone), (SELECT max(id) FROM geodata_zone)" if zones else ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT max(id) FROM incidents_incident), (SELECT id FROM realtime_event "
                       "WHERE kind LIKE 'incident.%%' ORDER BY id DESC LIMIT 1)" + zone_part)
        row = [value or 0 for value in cursor.fetchone()]
    version = f"{row[0]}.{row[1]}"
    return f"z{row[2]}.{row[3]}." + version if zones else version


class IncidentsLayer(Layer):
    """Points from `point_min_zoom()` on; below it grid clusters with counts of open and overdue."""

    name = "incidents"

    def version(self) -> str:
        return data_version()

    def cache_key_parts(self, request) -> list[str]:
        return [IncidentFilters.parse(request.GET).key]

    def _rows(self, request) -> QuerySet:
        from gridops.incidents.models import OPEN_STATUSES
        from gridops.incidents.sla import overdue_q

        qs = IncidentFilters.parse(request.GET).apply(_visible_incidents(request))
        # No ORDER BY (a tile has no order), and the point as the raw column: values("point")
        # would select `point::bytea`, and `bytea::geometry && envelope` cannot use the GiST index
        # (a z18 tile of the last year scanned 200,000 rows: 900 ms instead of a few).
        return qs.order_by().values(
            "id", "status", "priority", "reported_at", "emergency",
            geom4326=ExpressionWrapper(F("point"), output_field=BinaryField()),
            category_code=F("category__code"), type_name=F("event_type__name"),
            overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField()),
            is_open=ExpressionWrapper(Q(status__in=list(OPEN_STATUSES)), output_field=BooleanField()),
        )

    def sql(self, tile: Tile, request) -> tuple[str, dict]:
        inner, params = _named(*_compiled(self._rows(request)), "p")
        params.update(z=tile.z, x=tile.x, y=tile.y, margin=BUFFER / EXTENT)
        if tile.z >= point_min_zoom():
            query = f"""
            SELECT ST_AsMVT(t, 'incidents', {EXTENT}, 'geom', 'id') FROM (
              SELECT i.id, i.status, i.priority, i.category_code AS category, i.type_name AS type,
                     i.overdue, i.emergency, extract(epoch FROM i.reported_at)::bigint AS reported,
                     ST_AsMVTGeom(ST_Transform(i.geom4326, 3857), {ENV}, {EXTENT}, {BUFFER}, true) AS geom
              FROM ({inner}) AS i
              WHERE i.geom4326 && {ENV_4326}
            ) AS t WHERE t.geom IS NOT NULL"""
        else:
            # Clusters: integer cell numbers hash-aggregate (no sort of 100,000 geometries) and the
            # mean of the coordinates is the centroid without building a multipoint per cell.
            params["cell"] = tile.cell_m
            query = f"""
            SELECT ST_AsMVT(t, 'incidents', {EXTENT}, 'geom') FROM (
              SELECT count(*) AS count, count(*) FILTER (WHERE c.is_open) AS open,
                     count(*) FILTER (WHERE c.overdue) AS overdue,
                     count(*) FILTER (WHERE c.emergency AND c.is_open) AS emergency,
                     min(c.id) AS first_id,
                     ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(c.mx), avg(c.my)), 3857), {ENV},
                                  {EXTENT}, {BUFFER}, true) AS geom
              FROM (SELECT i.id, i.is_open, i.overdue, i.emergency, ST_X(i.m) AS mx, ST_Y(i.m) AS my
                    FROM (SELECT r.*, ST_Transform(r.geom4326, 3857) AS m FROM ({inner}) AS r
                          WHERE r.geom4326 && {ENV_4326} OFFSET 0) AS i) AS c
              GROUP BY floor(c.mx / %(cell)s), floor(c.my / %(cell)s)
            ) AS t WHERE t.geom IS NOT NULL"""
        return query, params


class ZonesLayer(Layer):
    """The zone level for the zoom (or `?level=`), with open and overdue counts per zone.

    `?counts=0` (or an anonymous caller) gives geometry only: the same for everyone, public.
    """

    name = "zones"

    def _with_counts(self, request) -> bool:
        return request.GET.get("counts", "1") not in ("0", "false", "no") and request.user.is_authenticated

    def is_private(self, request) -> bool:
        return self._with_counts(request)

    def varies_by_caller(self, request) -> bool:
        return request.GET.get("counts", "1") not in ("0", "false", "no")

    def version(self) -> str:
        return data_version(zones=True)

    def _level(self, tile: Tile, request) -> int:
        value = request.GET.get("level")
        if not value:
            return zone_level_for_zoom(tile.z)
        try:
            level = Level.from_name(value)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="level") from None
        if level not in LEVEL_COLUMN:
            raise InvalidInput("level must be town, area, village or grid", field="level")
        return level

    def cache_key_parts(self, request) -> list[str]:
        parts = [request.GET.get("level", ""), str(self._with_counts(request))]
        if self._with_counts(request):
            parts.append(IncidentFilters.parse(request.GET).key)
        return parts

    def sql(self, tile: Tile, request) -> tuple[str, dict]:
        from gridops.incidents.models import OPEN_STATUSES
        from gridops.incidents.sla import overdue_q

        level = self._level(tile, request)
        params = {"z": tile.z, "x": tile.x, "y": tile.y, "margin": BUFFER / EXTENT, "level": int(level)}
        # Without counts (anonymous, or ?counts=0) the attributes are left out, not written as 0.
        counts_cte, counts_join, counts_cols = "", "", ""
        if self._with_counts(request):
            filters = IncidentFilters.parse(request.GET)
            qs = filters.apply(_visible_incidents(request))
            if not filters.statuses:
                qs = qs.filter(status__in=OPEN_STATUSES)
            column = LEVEL_COLUMN[level]
            rows = qs.order_by().values(zone_id=F(column.removesuffix("_id")),
                             overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField()))
            inner, named = _named(*_compiled(rows), "p")
            params.update(named)
            # Only the zones of this tile are counted (their ids pushed into the incident scan).
            counts_cte = (f", counts AS (SELECT r.zone_id, count(*) AS open, count(*) FILTER (WHERE r.overdue) "
                          f"AS overdue FROM ({inner}) AS r WHERE r.zone_id IN (SELECT id FROM zn) GROUP BY r.zone_id)")
            counts_join = "LEFT JOIN counts ON counts.zone_id = zn.id"
            counts_cols = "coalesce(counts.open, 0) AS open, coalesce(counts.overdue, 0) AS overdue,"
        query = f"""
        WITH zn AS (SELECT id, code, name, level, residents, area_m2, geom FROM geodata_zone
                    WHERE level = %(level)s AND geom && {ENV_4326}){counts_cte}
        SELECT ST_AsMVT(t, 'zones', {EXTENT}, 'geom', 'id') FROM (
          SELECT zn.id, zn.code, zn.name, zn.level, zn.residents, round(zn.area_m2)::bigint AS area_m2, {counts_cols}
                 ST_AsMVTGeom(ST_Transform(zn.geom, 3857), {ENV}, {EXTENT}, {BUFFER}, true) AS geom
          FROM zn {counts_join}
        ) AS t WHERE t.geom IS NOT NULL"""
        return query, params


LAYERS: dict[str, Layer] = {layer.name: layer for layer in (ZonesLayer(), IncidentsLayer())}


# --- HTTP -------------------------------------------------------------------------------------

def render_tile(layer: Layer, tile: Tile, request) -> bytes:
    """Run the tile query (also what `bench/tiles.py` times against the HTTP endpoint)."""
    try:
        query, params = layer.sql(tile, request)
    except EmptyResultSet:  # the user sees no incidents at all (a role outside dispatch): the empty tile
        return b""
    # JIT off for this statement only: PostGIS's function costs make big tiles look expensive
    # enough to JIT-compile, which took ~0.9 s of a z12 tile's 1.3 s; one round trip, no side effect.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off; " + query, params)
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


def _cached_render(layer: Layer, tile: Tile, request, key: str) -> bytes:
    """Tile bytes from the Redis cache, or rendered; a lost Redis only costs the cache."""
    try:
        body = cache.get(key)
    except (RedisError, OSError):
        body = None
    if body is None:
        body = render_tile(layer, tile, request)
        try:
            cache.set(key, body, server_cache_seconds())
        except (RedisError, OSError):
            pass  # serving the tile matters more than caching it
    return body


def tile_etag(layer: Layer, tile: Tile, request) -> str:
    scope = visibility_key(request) if layer.is_private(request) else "public"
    parts = [layer.name, f"{tile.z}/{tile.x}/{tile.y}", scope, layer.version(), *layer.cache_key_parts(request)]
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
        cache_control = "private, no-cache" if private else f"public, max-age={public_max_age()}"
        if etag in [tag.strip() for tag in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
            response = HttpResponseNotModified()
        else:
            body = _cached_render(found, tile, request, "tile:" + etag.strip('"'))
            response = HttpResponse(body, content_type=MVT_CONTENT_TYPE)
        response["ETag"] = etag
        response["Cache-Control"] = cache_control
        if found.varies_by_caller(request):
            # The same URL answers differently when signed in: no cache may hand one caller's tile
            # (or the anonymous one, cached for an hour) to another.
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response
    except GridOpsError as exc:
        return error_response(exc)
