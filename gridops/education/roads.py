"""Distance along an optional road network (pgRouting is not available, so a small Dijkstra).

Roads are `RoadSegment` lines; their end points, rounded to about 10 cm, are the graph's nodes and
the segments its undirected edges weighted by length. A query reads only the segments in a box
around the origin and the targets (with a margin for detours), snaps each point to its nearest
node, and runs one Dijkstra from the origin. This stays cheap for the few schools serving one
point; it is not meant for district-wide matrices.
"""
from __future__ import annotations

import heapq
from collections import defaultdict

from django.db import connection
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")
_MARGIN_DEG = 0.02  # ~2 km of detour around the box of the points

_EDGES_SQL = """
SELECT round(ST_X(ST_StartPoint(geom))::numeric, 6)::float8, round(ST_Y(ST_StartPoint(geom))::numeric, 6)::float8,
       round(ST_X(ST_EndPoint(geom))::numeric, 6)::float8, round(ST_Y(ST_EndPoint(geom))::numeric, 6)::float8,
       length_m
FROM education_roadsegment
WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)
"""


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return _GEOD.inv(a[0], a[1], b[0], b[1])[2]


def shortest_paths(edges, source) -> dict:
    """Plain Dijkstra over undirected (u, v, length) edges; returns node → distance."""
    graph = defaultdict(list)
    for u, v, length in edges:
        graph[u].append((v, length))
        graph[v].append((u, length))
    best = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        dist, node = heapq.heappop(heap)
        if dist > best.get(node, float("inf")):
            continue
        for nxt, length in graph[node]:
            cand = dist + length
            if cand < best.get(nxt, float("inf")):
                best[nxt] = cand
                heapq.heappush(heap, (cand, nxt))
    return best


def network_distances(origin: tuple[float, float], targets: list[tuple[float, float]]) -> list[float | None]:
    """Metres from origin to each target along the roads; None when no roads or unreachable."""
    if not targets:
        return []
    xs = [origin[0]] + [t[0] for t in targets]
    ys = [origin[1]] + [t[1] for t in targets]
    box = (min(xs) - _MARGIN_DEG, min(ys) - _MARGIN_DEG, max(xs) + _MARGIN_DEG, max(ys) + _MARGIN_DEG)
    with connection.cursor() as cursor:
        cursor.execute(_EDGES_SQL, box)
        rows = cursor.fetchall()
    if not rows:
        return [None] * len(targets)
    edges = [((r[0], r[1]), (r[2], r[3]), r[4]) for r in rows]
    nodes = {n for e in edges for n in e[:2]}

    def snap(point):
        node = min(nodes, key=lambda n: (n[0] - point[0]) ** 2 + (n[1] - point[1]) ** 2)
        return node, _metres(point, node)

    start, start_gap = snap(origin)
    best = shortest_paths(edges, start)
    result = []
    for target in targets:
        node, gap = snap(target)
        result.append(None if node not in best else start_gap + best[node] + gap)
    return result
