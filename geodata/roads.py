"""Distances and routes along the road graph, answered by pgRouting (reads only).

A place is snapped to its nearest graph vertex (one KNN index scan per place) and the straight
gap to that vertex is added to the distance, so a place off the streets still gets a figure.
Direction matters (one-way streets): `distances_from` runs one Dijkstra out of a place;
`distances_to` answers "how far is each of these from here, travelling here" with one Dijkstra
too, by searching the reversed graph from the destination — pgRouting's many-to-one would run one
search per origin. `routes_to` gives the paths as GeoJSON for the few places that need them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

EDGES_SQL = "SELECT id, source, target, cost, reverse_cost FROM geodata_roadedge"
# The same graph with every edge turned round: a path found in it, read backwards, is a path in
# the real graph, so distances *to* one vertex come from one search *from* it.
REVERSED_EDGES_SQL = "SELECT id, target AS source, source AS target, reverse_cost AS cost, cost AS reverse_cost FROM geodata_roadedge"

_SNAP_SQL = """
SELECT p.i, v.id, ST_Distance(v.geom::geography, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)::geography)
FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i)
CROSS JOIN LATERAL (SELECT id, geom FROM geodata_roadvertex
                    ORDER BY geom <-> ST_SetSRID(ST_MakePoint(p.x, p.y), 4326) LIMIT 1) v
ORDER BY p.i
"""
_COST_SQL = "SELECT end_vid, agg_cost FROM pgr_dijkstraCost(%s, %s::bigint, %s::bigint[], directed => true)"
_ROUTES_SQL = """
SELECT r.end_vid, ST_AsGeoJSON(ST_LineMerge(ST_Collect(e.geom ORDER BY r.path_seq)), 6), sum(r.cost)
FROM pgr_dijkstra(%s, %s::bigint, %s::bigint[], directed => true) r
JOIN geodata_roadedge e ON e.id = r.edge
GROUP BY r.end_vid
"""


@dataclass(frozen=True)
class Snap:
    vertex: int
    gap_m: float  # straight metres from the place to the vertex


def snap(points: list[tuple[float, float]]) -> list[Snap] | None:
    """Each (lon, lat) snapped to its nearest vertex, in order; None when no graph is loaded."""
    if not points:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_SNAP_SQL, ([p[0] for p in points], [p[1] for p in points]))
        rows = cursor.fetchall()
    return [Snap(vertex, gap) for _i, vertex, gap in rows] if rows else None


def _costs(edges_sql: str, start: int, ends: set[int]) -> dict[int, float]:
    """Metres from `start` to each reachable end (the start itself is 0; pgRouting omits it)."""
    found = {start: 0.0} if start in ends else {}
    others = sorted(ends - {start})
    if others:
        with connection.cursor() as cursor:
            cursor.execute(_COST_SQL, (edges_sql, start, others))
            found.update(cursor.fetchall())
    return found


def _along(edges_sql: str, place, others) -> list[float | None]:
    snaps = snap([place, *others])
    if snaps is None:
        return [None] * len(others)
    here, theirs = snaps[0], snaps[1:]
    costs = _costs(edges_sql, here.vertex, {s.vertex for s in theirs})
    return [None if s.vertex not in costs else here.gap_m + costs[s.vertex] + s.gap_m for s in theirs]


def distances_from(origin: tuple[float, float], targets: list[tuple[float, float]]) -> list[float | None]:
    """Metres travelling from origin to each target; None when no graph is loaded or unreachable."""
    return _along(EDGES_SQL, origin, targets)


def distances_to(destination: tuple[float, float], origins: list[tuple[float, float]]) -> list[float | None]:
    """Metres travelling from each origin to the destination (one search on the reversed graph)."""
    return _along(REVERSED_EDGES_SQL, destination, origins)


def routes_to(destination_vertex: int, origin_vertices: list[int]) -> dict[int, dict]:
    """Each origin vertex's shortest path to the destination vertex: {vertex: {"geometry", "metres"}}
    (the geometry is the streets travelled, as GeoJSON; a vertex already there has no path)."""
    others = sorted(set(origin_vertices) - {destination_vertex})
    if not others:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_ROUTES_SQL, (REVERSED_EDGES_SQL, destination_vertex, others))
        return {vid: {"geometry": json.loads(geojson), "metres": cost} for vid, geojson, cost in cursor.fetchall()}


def graph_loaded() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM geodata_roadedge)")
        return cursor.fetchone()[0]
