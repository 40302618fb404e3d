"""Distances and routes along the road graph, answered by pgRouting (reads only).

A place joins the graph where it is nearest to a street: the nearest edge (one KNN index scan)
and the fraction along it (`ST_LineLocatePoint`); the straight gap to the street is part of the
figure. One pgRouting search from the place (`pgr_withPointsDD`, the place as a temporary vertex
on its street; `pgr_drivingDistance` when it is on a vertex) gives the metres between it and
every vertex, in the direction asked: out of the place over the graph, or *to* the place over the
reversed graph (pgRouting's many-to-one would run one search per origin). Each other place is
then reached from its street's ends, the part of the street it lies along added (`_via`), with
one-way streets honoured.

`nearest_rows` (and `nearest_to` over a list) asks only as many places as it must: road metres
are never fewer than straight metres, so candidates are taken in order of straight distance, and
no candidate farther as the crow flies than the k-th best is by road needs asking. The candidates
are given as SQL, so ordering them, joining the first page to the graph and joining the place is
one round trip; one `pgr_withPoints` search from the place to that page, cut to a radius, then
gives their metres and draws the k best (`_nearest_by_paths`), the general walk over
`pgr_withPointsDD` being kept for what that cannot prove. Two round trips, not five: on a shared,
loaded machine each round trip and each millisecond of CPU is paid several times over in waiting.
"""
from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass, replace

from django.db import connection

from gridops.core import prepared

EDGES_SQL = "SELECT id, source, target, cost, reverse_cost FROM geodata_roadedge"
# The graph with every edge turned round: a path found in it, read backwards, is a path in the
# real graph, so distances *to* one place come from one search *from* it. Only the ends swap: an
# edge's cost stays its cost along the line, which now runs target to source. (Swapping the costs
# as well, as this once did, describes the real graph again: one-way streets were driven the wrong
# way into the place.)
REVERSED_EDGES_SQL = "SELECT id, target AS source, source AS target, cost, reverse_cost FROM geodata_roadedge"
REACH_M = 1e9  # how far a search goes: everywhere (the whole graph is one city's streets)

# A place's nearest street (one KNN index scan) and where along it; `{pt}` is the place's geometry.
_ANCHOR_OF = """SELECT e.id, e.source, e.target, e.cost, e.reverse_cost, ST_LineLocatePoint(e.geom, {pt}),
       ST_Distance(ST_ClosestPoint(e.geom, {pt})::geography, {pt}::geography)
FROM (SELECT id, source, target, cost, reverse_cost, geom FROM geodata_roadedge ORDER BY geom <-> {pt} LIMIT 1) e"""
_ANCHOR_SQL = f"""
SELECT p.i, a.*
FROM (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt
      FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, i)) p
CROSS JOIN LATERAL ({_ANCHOR_OF.format(pt="p.pt")}) a
ORDER BY p.i
"""
# Metres on the sphere between (lon, lat) in degrees and the place (`here.lon`, `here.lat`, radians),
# in plain arithmetic: per candidate row, PostGIS calls (a point built, cast to geography, measured)
# cost more than the rest of the query.
_HAVERSINE = ("2 * 6371008.8 * asin(sqrt(sin((radians({lat}) - here.lat) / 2) ^ 2"
              " + cos(here.lat) * cos(radians({lat})) * sin((radians({lon}) - here.lon) / 2) ^ 2))")
# One round trip for a nearest question: the place's anchor, how many candidates there are, and
# one page of them in order of straight (sphere) distance, each with its anchor and its own
# columns (`c.*`, then the two added here). The place's row comes back even when there are no
# candidates; no row: no graph.
_CANDIDATES_SQL = f"""
WITH here AS (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS pt, radians(%s) AS lon, radians(%s) AS lat),
     c AS (SELECT c.*, {_HAVERSINE.format(lon="c.lon", lat="c.lat")} AS straight, count(*) OVER () AS total
           FROM ({{candidates}}) c, here ORDER BY straight, c.key LIMIT %s OFFSET %s)
SELECT h.*, c.total, c.straight, a.*, c.*
FROM here CROSS JOIN LATERAL ({_ANCHOR_OF.format(pt="here.pt")}) h
LEFT JOIN (c CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326) AS pt) p
           CROSS JOIN LATERAL ({_ANCHOR_OF.format(pt="p.pt")}) a) ON true
ORDER BY c.straight, c.key
"""
_REACH_FROM_POINT_SQL = """SELECT node, agg_cost FROM pgr_withPointsDD(%s, %s, -1::bigint, %s,
    directed => true, driving_side => 'b', details => false) WHERE node > 0"""
_REACH_FROM_VERTEX_SQL = "SELECT node, agg_cost FROM pgr_drivingDistance(%s, %s::bigint, %s, directed => true)"
# Paths from the place (pid 1) over the reversed graph to each other point: their metres, and
# for the `draw` cheapest (with their gaps) the streets travelled, each step cut to what is
# travelled of its street (the first and last are entered or left part-way), merged and turned
# to run from the origin to the place. The streets are looked up by id for the few steps (LIMIT 1
# keeps the planner from flattening the lookup into a hash of the whole edge table: pgRouting's
# rows are estimated at 1000).
_PATHS_SQL = """
WITH r AS (SELECT end_pid, path_seq, node, edge, cost,
                  lead(node) OVER (PARTITION BY end_pid ORDER BY path_seq) AS next
           FROM pgr_withPoints(%(graph)s, %(points)s, -1::bigint, %(ends)s::bigint[], directed => true, driving_side => 'b')),
     pts AS ({pts}),
     totals AS (SELECT end_pid, sum(cost) AS metres FROM r GROUP BY end_pid),
     drawn AS (SELECT t.end_pid FROM totals t JOIN pts ON pts.pid = -t.end_pid
               ORDER BY t.metres + pts.gap, pts.pid LIMIT %(draw)s),
     paths AS (
         SELECT r.end_pid, ST_LineMerge(ST_Collect(
                    ST_LineSubstring(e.geom, least(f.a, f.b), greatest(f.a, f.b)) ORDER BY r.path_seq)) AS line
         FROM r JOIN drawn USING (end_pid)
         CROSS JOIN LATERAL (SELECT geom, source, target FROM geodata_roadedge WHERE id = r.edge LIMIT 1) e
         CROSS JOIN LATERAL (SELECT
             CASE WHEN r.node = e.source THEN 0 WHEN r.node = e.target THEN 1 ELSE (SELECT fraction FROM pts WHERE pid = -r.node) END AS a,
             CASE WHEN r.next = e.source THEN 0 WHEN r.next = e.target THEN 1 ELSE (SELECT fraction FROM pts WHERE pid = -r.next) END AS b) f
         GROUP BY r.end_pid),
     here AS (SELECT ST_LineInterpolatePoint(geom, %(fraction)s) AS pt FROM geodata_roadedge WHERE id = %(edge)s)
SELECT -t.end_pid, t.metres, p.end_pid IS NOT NULL,
       ST_AsGeoJSON(CASE WHEN ST_Distance(ST_StartPoint(p.line), here.pt) < ST_Distance(ST_EndPoint(p.line), here.pt)
                         THEN ST_Reverse(p.line) ELSE p.line END, 6)
FROM totals t LEFT JOIN paths p USING (end_pid) CROSS JOIN here
"""
_AT_END = 1e-9


@dataclass(frozen=True)
class Anchor:
    """Where a place joins the graph: its nearest street and how far along it."""

    edge: int
    source: int
    target: int
    cost: float  # the street's metres source → target (negative: closed that way)
    reverse_cost: float
    fraction: float  # along the street from its source, 0..1
    gap_m: float  # straight metres from the place to the street

    def vertex(self) -> int | None:
        """The vertex it lies on, if any (pgRouting drops a point at fraction 0 or 1)."""
        return self.source if self.fraction <= _AT_END else self.target if self.fraction >= 1 - _AT_END else None


def anchor(points: list[tuple[float, float]]) -> list[Anchor] | None:
    """Each (lon, lat) joined to its nearest street, in order; None when no graph is loaded."""
    if not points:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_ANCHOR_SQL, ([p[0] for p in points], [p[1] for p in points]))
        rows = cursor.fetchall()
    return [Anchor(*row[1:]) for row in rows] if rows else None


def _fraction(a: Anchor) -> float:
    """A place on a vertex is moved a hair along its street, or pgRouting would drop it."""
    return min(max(a.fraction, 1e-7), 1 - 1e-7)


def _points_sql(anchors: list[Anchor], *, reverse: bool) -> str:
    """pgRouting's points query for the anchors as pids 1..n (numbers from our own rows, so the
    text is safe); on the reversed graph a fraction counts from the other end."""
    rows = ", ".join(f"({pid}, {a.edge}, {(1 - _fraction(a)) if reverse else _fraction(a):.9f})"
                     for pid, a in enumerate(anchors, start=1))
    return f"SELECT pid, edge_id, fraction FROM (VALUES {rows}) AS p(pid, edge_id, fraction)"


def _cut(graph_sql: str, centre: tuple[float, float] | None, radius_m: float | None) -> str:
    """The graph cut to the box of `radius_m` round `centre`: a path no longer than the radius
    between the centre and anywhere never leaves it (no path is shorter than the straight line),
    so searches bounded by the radius answer exactly on far fewer edges."""
    if radius_m is None or centre is None:
        return graph_sql
    dlat = radius_m * 1.01 / 110_574
    dlon = radius_m * 1.01 / (111_320 * max(math.cos(math.radians(centre[1])), 0.01))
    return (f"{graph_sql} WHERE geom && ST_MakeEnvelope({centre[0] - dlon:.7f}, {centre[1] - dlat:.7f}, "
            f"{centre[0] + dlon:.7f}, {centre[1] + dlat:.7f}, 4326)")


def reach(place: Anchor, *, towards: bool, centre: tuple[float, float] | None = None,
          radius_m: float | None = None) -> dict[int, float]:
    """Metres between the place and every vertex it connects with (within `radius_m` of
    `centre`, the place, when given): vertex → place when `towards` (a search over the reversed
    graph), place → vertex otherwise. One pgRouting search."""
    graph = _cut(REVERSED_EDGES_SQL if towards else EDGES_SQL, centre, radius_m)
    limit = REACH_M if radius_m is None else radius_m
    vertex = place.vertex()
    with connection.cursor() as cursor:
        if vertex is None:
            prepared.execute(cursor, _REACH_FROM_POINT_SQL, (graph, _points_sql([place], reverse=towards), float(limit)))
        else:
            prepared.execute(cursor, _REACH_FROM_VERTEX_SQL, (graph, vertex, float(limit)))
        return dict(cursor.fetchall())


def _via(place: Anchor, there: Anchor, reached: dict[int, float], *, towards: bool) -> float | None:
    """Metres between the place and another anchor: through an end of the other's street (the
    part of the street travelled added, each way only where it is open), or straight along the
    street when both lie on the same one; gaps included. None when no street leads."""
    f, options = there.fraction, []
    ends = ([(there.target, (1 - f) * there.cost, there.cost), (there.source, f * there.reverse_cost, there.reverse_cost)]
            if towards else
            [(there.source, f * there.cost, there.cost), (there.target, (1 - f) * there.reverse_cost, there.reverse_cost)])
    options = [reached[end] + part for end, part, open_way in ends if open_way >= 0 and end in reached]
    if there.edge == place.edge:
        start, stop = (there.fraction, place.fraction) if towards else (place.fraction, there.fraction)
        way = there.cost if stop >= start else there.reverse_cost
        if way >= 0:
            options.append(abs(stop - start) * way)
    return min(options) + place.gap_m + there.gap_m if options else None


def _along(place: tuple[float, float], others: list[tuple[float, float]], *, towards: bool) -> list[float | None]:
    anchors = anchor([place, *others]) if others else []
    if not anchors:
        return [None] * len(others)
    reached = reach(anchors[0], towards=towards)
    return [_via(anchors[0], there, reached, towards=towards) for there in anchors[1:]]


def distances_from(origin: tuple[float, float], targets: list[tuple[float, float]]) -> list[float | None]:
    """Metres travelling from origin to each target; None when no graph is loaded or unreachable."""
    return _along(origin, targets, towards=False)


def distances_to(destination: tuple[float, float], origins: list[tuple[float, float]]) -> list[float | None]:
    """Metres travelling from each origin to the destination (one search on the reversed graph)."""
    return _along(destination, origins, towards=True)


# Road metres are never fewer than straight metres on the ellipsoid; the straight figures used to
# stop are on the sphere (up to 0.6 % more) and a fraction along a street is planar, hence the slack.
_STRAIGHT_SLACK = 0.98


@dataclass(frozen=True)
class Nearest:
    row: tuple  # the candidate's own columns, `key` first
    metres: float
    anchor: Anchor
    route: dict | None = None  # GeoJSON of the streets travelled, origin first (None: on the place)

    @property
    def index(self):
        return self.row[0]


@dataclass(frozen=True)
class _Candidate:
    straight: float  # metres as the crow flies (sphere)
    anchor: Anchor
    row: tuple


class _Candidates:
    """The candidates in order of straight distance, fetched a page at a time (with their anchors)
    as the walk reaches them; the first page also brings the place's anchor."""

    def __init__(self, place: tuple[float, float], sql: str, params: list, page: int):
        self.place, self.sql = (float(place[0]), float(place[1])), _CANDIDATES_SQL.replace("{candidates}", sql)
        self.params, self.page = params, page
        self.loaded: list[_Candidate] = []
        rows = self._fetch()
        self.here = Anchor(*rows[0][:7]) if rows else None
        self.total = (rows[0][7] or 0) if rows else 0
        self._keep(rows)

    def _fetch(self) -> list[tuple]:
        with connection.cursor() as cursor:
            prepared.execute(cursor, self.sql, [*self.place, *self.place, *self.params, self.page, len(self.loaded)])
            return cursor.fetchall()

    def _keep(self, rows: list[tuple]) -> None:
        self.loaded += [_Candidate(row[8], Anchor(*row[9:16]), row[16:-2]) for row in rows if row[8] is not None]

    def __getitem__(self, i: int) -> _Candidate | None:
        while i >= len(self.loaded) and len(self.loaded) < self.total:
            before = len(self.loaded)
            self._keep(self._fetch())
            if len(self.loaded) == before:  # fewer than counted (positions changed meanwhile)
                break
        return self.loaded[i] if i < len(self.loaded) else None


def nearest_rows(place: tuple[float, float], candidates_sql: str, params: list,
                 k: int) -> tuple[Anchor, list[Nearest], int] | None:
    """The place's anchor, the k candidates with the shortest travel *to* `place` (with their
    routes) and how many candidates there were; None when no graph is loaded. `candidates_sql`
    yields the columns `key`, `lon` and `lat` (EPSG:4326), then any others; each answer carries
    its row.

    Searches are bounded: first to a radius of three times the k-th straight distance (at least
    1 km), on the graph cut to it; a figure within the radius is exact. Usually one search does
    it all (`_nearest_by_paths`): paths to the first page of candidates, the k best drawn. When
    that cannot prove its answer, the general walk (`_nearest_within`) grows the radius (x4, then
    unbounded) until k are found, and the routes are drawn after."""
    # A page of 6k (at least 32): on the demo graph the one search then proves 400 of 400 answers
    # (with 4k / 24, 395: the k-th by road was just past the 24th as the crow flies).
    candidates = _Candidates(place, candidates_sql, params, page=max(6 * k, 32))
    here = candidates.here
    if here is None:
        return None
    if candidates.total == 0:
        return here, [], 0
    first = max(1000.0, 3 * candidates[min(k, candidates.total) - 1].straight)
    best = _nearest_by_paths(candidates, place, k, first)
    if best is None:
        for radius in (first, 4 * first, None):
            best = _nearest_within(candidates, place, k, radius)[:k]
            if len(best) >= k or radius is None:
                break
        best = _with_routes(here, best, place, radius_m=max((n.metres for n in best), default=None))
    return here, best, candidates.total


def _nearest_by_paths(candidates: _Candidates, place: tuple[float, float], k: int, radius: float) -> list[Nearest] | None:
    """The k nearest from one pgRouting search (`pgr_withPoints`, on the graph cut to `radius`) to
    each loaded candidate that may lie within the radius, the k best drawn in the same query; None
    when that does not prove the answer. Proof: k figures within the radius (exact, as a path no
    longer than it never leaves the cut), and none left out can be nearer: each candidate not asked
    is either past the radius as the crow flies or no nearer in a straight line than the last one
    loaded, whose straight distance is therefore the bound (the last loaded is kept for that)."""
    here, loaded = candidates.here, candidates.loaded
    more = len(loaded) < candidates.total
    bound = _STRAIGHT_SLACK * loaded[-1].straight if more else math.inf
    pool = [c for c in (loaded[:-1] if more else loaded) if _STRAIGHT_SLACK * c.straight <= radius]
    if len(pool) < k:
        return None
    found = []
    for candidate, path in zip(pool, _paths(here, [c.anchor for c in pool], centre=place, radius_m=radius, draw=k)):
        # Along the streets, or straight along one street when both lie on it (pgRouting skips a
        # point where the place is).
        options = [path.metres + here.gap_m + candidate.anchor.gap_m] if path else []
        if (same_street := _via(here, candidate.anchor, {}, towards=True)) is not None:
            options.append(same_street)
        if options and min(options) <= radius:
            found.append((min(options), candidate, path))
    found.sort(key=lambda f: f[0])  # stable: ties stay in straight order, as pgRouting's draw
    if len(found) < k or found[k - 1][0] > bound:
        return None
    best = [Nearest(c.row, metres, c.anchor, path.geometry if path else None) for metres, c, path in found[:k]]
    undrawn = [i for i, (_, _, path) in enumerate(found[:k]) if path and not path.drawn]
    if undrawn:  # another was drawn in its place (a tie, or a shortcut along one street)
        redrawn = _with_routes(here, [best[i] for i in undrawn], place, radius_m=radius)
        for i, nearest in zip(undrawn, redrawn):
            best[i] = nearest
    return best


def _with_routes(here: Anchor, chosen: list[Nearest], place: tuple[float, float], *, radius_m: float | None) -> list[Nearest]:
    routes = routes_to(here, [n.anchor for n in chosen], centre=place, radius_m=radius_m)
    return [replace(n, route=route["geometry"] if route else None) for n, route in zip(chosen, routes)]


def nearest_to(place: tuple[float, float], others: list[tuple[float, float]],
               k: int) -> tuple[Anchor, list[Nearest], int] | None:
    """`nearest_rows` over a list of (lon, lat); each answer's `index` is its place in `others`."""
    sql = "SELECT i - 1 AS key, lon, lat FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(lon, lat, i)"
    return nearest_rows(place, sql, [[p[0] for p in others], [p[1] for p in others]], k)


def _nearest_within(candidates: _Candidates, place: tuple[float, float], k: int, radius: float | None) -> list[Nearest]:
    here = candidates.here
    reached = reach(here, towards=True, centre=place, radius_m=radius)
    best: list[Nearest] = []
    i = 0
    while (candidate := candidates[i]) is not None:
        bound = _STRAIGHT_SLACK * candidate.straight  # no road to it, nor to any after it, is shorter
        if (len(best) >= k and best[k - 1].metres <= bound) or (radius is not None and bound > radius):
            break
        metres = _via(here, candidate.anchor, reached, towards=True)
        if metres is not None and (radius is None or metres <= radius):
            bisect.insort(best, Nearest(candidate.row, metres, candidate.anchor), key=lambda n: n.metres)
        i += 1
    return best


@dataclass(frozen=True)
class _Path:
    metres: float  # along the streets, from the origin's anchor to the place's (no gaps)
    drawn: bool
    geometry: dict | None  # GeoJSON, origin first; None if not drawn or the origin is on the place


def _paths(place: Anchor, origins: list[Anchor], *, centre: tuple[float, float] | None, radius_m: float | None,
           draw: int) -> list[_Path | None]:
    """One pgRouting search from the place over the reversed graph to every origin (None: no way
    there), the `draw` cheapest drawn. When every path wanted is known to be no longer than
    `radius_m`, the graph is cut to that radius round `centre` (the place)."""
    if not origins:
        return []
    anchors = [place, *origins]
    pts = ", ".join(f"({pid}, {_fraction(a):.9f}, {a.gap_m:.3f})" for pid, a in enumerate(anchors, start=1))
    with connection.cursor() as cursor:
        cursor.execute(_PATHS_SQL.replace("{pts}", f"SELECT pid, fraction, gap FROM (VALUES {pts}) AS p(pid, fraction, gap)"),
                       {"graph": _cut(REVERSED_EDGES_SQL, centre, radius_m), "points": _points_sql(anchors, reverse=True),
                        "ends": [-pid for pid in range(2, len(anchors) + 1)], "edge": place.edge,
                        "fraction": _fraction(place), "draw": draw})
        paths = {pid: _Path(metres, drawn, json.loads(geojson) if geojson else None)
                 for pid, metres, drawn, geojson in cursor.fetchall()}
    return [paths.get(pid) for pid in range(2, len(anchors) + 1)]


def routes_to(place: Anchor, origins: list[Anchor], *, centre: tuple[float, float] | None = None,
              radius_m: float | None = None) -> list[dict | None]:
    """The streets travelled from each origin to the place, as GeoJSON (origin first) with their
    metres; None where the origin is on the place. When every route is known to be no longer
    than `radius_m`, the graph is cut to that radius round `centre` (the place)."""
    paths = _paths(place, origins, centre=centre, radius_m=radius_m, draw=len(origins))
    return [{"geometry": path.geometry, "metres": path.metres} if path and path.geometry else None for path in paths]
