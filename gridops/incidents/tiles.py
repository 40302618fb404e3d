"""The incidents' vector tile layers, registered with the tile server by dotted path
(`GRIDOPS_TILE_LAYERS` in settings; the server is `geodata.tiles` and knows no domain app).

Why tiles and not GeoJSON: with the 540,000-incident history the console must never ship rows
the screen cannot show. Small zooms get per-zone counts (the `zones` choropleth) and
`ST_SnapToGrid`-style clusters; large zooms get points. Both layers start from the caller's visible
incidents (`incidents_visible_to`) narrowed by the one incident FilterSet (`filters.IncidentFilter`,
the list's, the KPIs' and the export's), compiled to SQL and wrapped by the tile query, so a tile can
never show what the incident list would hide, and a filter means the same on the map as in the list.

Under live load every new incident moves the layers' data version, so most tile requests render.
Composing a render's ORM SQL (the FilterSet, the rows, the SLA condition) was about half of such a
request's Python (bench/results/tiles_live.md): for a query string that sets no filter, or only
filters whose SQL depends on the query string alone (the console's `?status=open`), the compiled
SQL is kept per visibility and filter key (`KEPT_SQL`), with a placeholder for "now" that every
render fills in, so the overdue flags are as fresh as before.
"""
from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.signals import setting_changed
from django.db.models import BinaryField, BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from geodata.layers import ZoneLayer, zone_version
from geodata.tiles import BUFFER, ENV, ENV_4326, EXTENT, Layer, Tile, compiled, read_connection, subquery
from gridops.core.filtersets import filtered, names_no_filter, names_set, query_cache_key, validated

from . import conf
from .filters import LEVEL_FIELD, IncidentFilter
from .models import OPEN_STATUSES, Incident
from .selectors import incidents_visible_to
from .sla import overdue_q
from .tile_version import data_version

_VISIBLE = "_gridops_visible_incidents"
_FILTER = "_gridops_incident_filter"
_VISIBILITY_DIGEST = "_gridops_visibility_digest"
# Stands for the render's "now" in kept SQL (the SLA clocks' overdue condition). Kept SQL holds no
# other datetime parameter (`_kept_sql` refuses one), so it cannot be mistaken for a real value.
_NOW = datetime(2000, 1, 1, 0, 0, 0, 123457, tzinfo=UTC)


def _visible_incidents(request) -> QuerySet:
    """The caller's visible incidents, built once per request (the ETag and the tile both use it)."""
    if not hasattr(request, _VISIBLE):
        setattr(request, _VISIBLE, incidents_visible_to(request.user))
    return getattr(request, _VISIBLE)


def incident_filter(request) -> IncidentFilter:
    """The request's incident filters over the caller's visible incidents, built once per request."""
    if not hasattr(request, _FILTER):
        setattr(request, _FILTER, IncidentFilter(request.GET, queryset=_visible_incidents(request), request=request))
    return getattr(request, _FILTER)


def filter_key(request) -> str:
    """The request's incident filters as a cache key ("" when the query string sets none of them,
    known without building the FilterSet: the warm tile's hot path; otherwise kept per query string)."""
    if names_no_filter(IncidentFilter, request.GET):
        return ""
    return query_cache_key(IncidentFilter, request.GET, lambda: incident_filter(request))


def _digest_of(qs: QuerySet) -> str:
    # The order is not the visibility (and compiling it cost most).
    sql, params = compiled(qs.order_by().values("id"))
    return hashlib.sha1(repr((sql, params)).encode()).hexdigest()


@functools.cache
def _everything_digest() -> str:
    """The digest of "every incident", the same for every caller who sees everything (district
    operators, the district's screens): compiled once per process. Compiling the visibility SQL
    again on every warm tile was a third of the tile view's own time (issue 13's profile)."""
    return _digest_of(Incident.objects.all())


def _digest_of_visible(qs: QuerySet) -> str:
    if qs.query.is_empty():
        return "none"
    if not qs.query.where:  # no condition: everything, whoever asks
        return _everything_digest()
    return _digest_of(qs)


def preload_visibility_digest(user) -> None:
    """Registered with `core.tokens.user_preloaders` (after the grids and co-reported ids it
    reads): the cached token user carries its visibility digest, dropped with that cache whenever
    role, zone, department, grids or co-reports change. A town operator's warm tile compiled
    its visibility SQL, after a query for its co-reported ids, on every request (4 % of the
    workers' GIL samples under the load-test mix, session 16)."""
    setattr(user, _VISIBILITY_DIGEST, _digest_of_visible(incidents_visible_to(user)))


def _visibility_digest(request) -> str:
    """The SHA-1 of the caller's visibility SQL ("none" when they see nothing): carried by a
    cached token user, else computed once per request."""
    carried = getattr(request.user, _VISIBILITY_DIGEST, None)
    if carried is not None:
        return carried
    if not hasattr(request, _VISIBILITY_DIGEST):
        setattr(request, _VISIBILITY_DIGEST, _digest_of_visible(_visible_incidents(request)))
    return getattr(request, _VISIBILITY_DIGEST)


def visibility_key(request) -> str:
    """Users whose visibility compiles to the same SQL see the same tiles (and share the cache)."""
    return _visibility_digest(request)[:16]


class KeptSQL:
    """Compiled tile SQL kept in this process, by what it was compiled from: the visibility
    digest (the whole SQL of what the caller may see, so callers share an entry only when their
    jurisdiction compiles to the same SQL) and the layer's part. Bounded (least recently used out)."""

    def __init__(self, size: int = 512):
        self._size = size
        self._kept: OrderedDict[tuple, tuple[str, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, build: Callable[[], tuple[str, dict]]) -> tuple[str, dict]:
        """The SQL and named parameters for `key` (built on a miss), "now" filled in."""
        with self._lock:
            held = self._kept.get(key)
            if held is not None:
                self._kept.move_to_end(key)
        if held is None:
            held = build()
            with self._lock:
                self._kept[key] = held
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        sql, params = held
        now = timezone.now()
        return sql, {name: now if isinstance(value, datetime) and value == _NOW else value
                     for name, value in params.items()}

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._kept.clear()


KEPT_SQL = KeptSQL()
setting_changed.connect(KEPT_SQL.clear)


def _kept_filter_key(request) -> str | None:
    """The filter part of a kept SQL's key: "" when the query string sets no incident filter, the
    filter key when it sets only filters whose SQL depends on the query string alone
    (`IncidentFilter.QUERY_STRING_ONLY`), None when the SQL must be composed for this request (a
    filter reads the clock, e.g. `days`, or the database)."""
    names = names_set(IncidentFilter, request.GET)
    if not names:
        return ""
    return filter_key(request) if names <= IncidentFilter.QUERY_STRING_ONLY else None


def _kept_subquery(request, part: tuple, rows: Callable[[datetime], QuerySet]) -> tuple[str, dict]:
    """`rows(now)` as a named-parameter subquery: kept per visibility and filter key (compiled with
    the `_NOW` placeholder) where `_kept_filter_key` allows, else compiled for this request. The
    console asks with `?status=open`, which composed its SQL (FilterSet, form, rows, SLA condition)
    on every render: under live load most tile requests render (session 17)."""
    kept = _kept_filter_key(request)
    if kept is None:
        return subquery(rows(timezone.now()))
    return KEPT_SQL.get((_visibility_digest(request), kept, *part), lambda: _kept_sql(rows))


def _kept_sql(rows: Callable[[datetime], QuerySet]) -> tuple[str, dict]:
    sql, params = subquery(rows(_NOW))
    # A kept filter with a datetime of its own (`since`, say) would be taken for "now" at every render.
    if any(isinstance(value, datetime) and value != _NOW for value in params.values()):
        raise ValueError("kept tile SQL holds a datetime other than now: that filter must compose per render")
    return sql, params


class IncidentLayer(Layer):
    """Points from `conf.tiles_point_min_zoom()` on; below it grid clusters with counts of open,
    overdue and emergency incidents."""

    def scope_key(self, request) -> str:
        return visibility_key(request)

    def version(self, request) -> str:
        return data_version()

    def cache_key_parts(self, request) -> list[str]:
        return [filter_key(request)]

    def _rows(self, request, now: datetime, points: bool) -> QuerySet:
        qs = filtered(incident_filter(request))
        # Category and type names only for points: clusters do not show them, and the two joins
        # for every incident of a low-zoom tile were a third of its PostgreSQL time (inner joins
        # on foreign keys, which the planner does not drop by itself).
        names = {"category_code": F("category__code"), "type_name": F("event_type__name")} if points else {}
        # No ORDER BY (a tile has no order), and the point as the raw column: values("point")
        # would select `point::bytea`, and `bytea::geometry && envelope` cannot use the GiST index
        # (a z18 tile of the last year scanned 200,000 rows: 900 ms instead of a few).
        return qs.order_by().values(
            "id", "status", "priority", "reported_at", "emergency",
            geom4326=ExpressionWrapper(F("point"), output_field=BinaryField()), **names,
            overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()),
            is_open=ExpressionWrapper(Q(status__in=list(OPEN_STATUSES)), output_field=BooleanField()),
        )

    def sql(self, tile: Tile, request) -> tuple[str, dict]:
        points = tile.z >= conf.tiles_point_min_zoom()
        inner, params = _kept_subquery(request, ("rows", points), lambda now: self._rows(request, now, points))
        params.update(tile.params(), layer=self.name)
        if points:
            query = f"""
            SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom', 'id') FROM (
              SELECT i.id, i.status, i.priority, i.category_code AS category, i.type_name AS type,
                     i.overdue, i.emergency, extract(epoch FROM i.reported_at)::bigint AS reported,
                     ST_AsMVTGeom(ST_Transform(i.geom4326, 3857), {ENV}, {EXTENT}, {BUFFER}, true) AS geom
              FROM ({inner}) AS i
              WHERE i.geom4326 && {ENV_4326}
            ) AS t WHERE t.geom IS NOT NULL"""
        else:
            # Clusters: integer cell numbers hash-aggregate (no sort of 100,000 geometries) and the
            # mean of the coordinates is the centroid without building a multipoint per cell.
            params["cell"] = tile.width_m / conf.tiles_cluster_cells()
            query = f"""
            SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom') FROM (
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


class ZoneCountsLayer(ZoneLayer):
    """The zones with open and overdue counts per zone for a signed-in caller (the incident
    filters apply; without a status filter only open incidents count).

    `?counts=0` (or an anonymous caller) gives geometry only: the same for everyone, public.
    """

    def _with_counts(self, request) -> bool:
        return self._counts_asked(request) and request.user.is_authenticated

    @staticmethod
    def _counts_asked(request) -> bool:
        return request.GET.get("counts", "1") not in ("0", "false", "no")

    def is_private(self, request) -> bool:
        return self._with_counts(request)

    def varies_by_caller(self, request) -> bool:
        return self._counts_asked(request)

    def scope_key(self, request) -> str:
        return visibility_key(request)

    def version(self, request) -> str:
        return data_version(zones=True) if self._with_counts(request) else zone_version()

    def cache_key_parts(self, request) -> list[str]:
        parts = [*super().cache_key_parts(request), str(self._with_counts(request))]
        if self._with_counts(request):
            parts.append(filter_key(request))
        return parts

    def counts(self, tile: Tile, request, level: int) -> tuple[str, dict, list[str]] | None:
        if not self._with_counts(request):
            return None
        inner, params = _kept_subquery(request, ("counts", int(level)),
                                       lambda now: self._counted_rows(request, level, now))
        # Only the zones of this tile are counted (their ids pushed into the incident scan).
        relation = (f"SELECT r.zone_id, count(*) AS open, count(*) FILTER (WHERE r.overdue) AS overdue "
                    f"FROM ({inner}) AS r WHERE r.zone_id IN (SELECT id FROM zn) GROUP BY r.zone_id")
        return relation, params, ["open", "overdue"]

    @staticmethod
    def _counted_rows(request, level: int, now: datetime) -> QuerySet:
        filters = incident_filter(request)
        qs = filtered(filters)
        if not validated(filters).get("status"):
            qs = qs.filter(status__in=OPEN_STATUSES)
        return qs.order_by().values(zone_id=F(LEVEL_FIELD[level]),
                                    overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))
