"""Nearest available workers by road: the k = 5 nearest of 921 on-duty workers to a point.

Goal (issue 17): p99 under 100 ms for 921 workers, n >= 300 points. The demo street graph (from
the micro-grid boundaries) carries one bench worker per micro-grid, each with a fresh position
at a random place in their grid. Measured in the same run, on the same points:

- `straight_line`: the k nearest latest positions as the crow flies (one KNN query) — what a
  map without roads would answer, the floor of any "nearest" query;
- `pgr_dijkstra_only`: pgRouting's own answer on the whole graph, with nothing of ours: the place
  and every worker snapped to their nearest vertex (the workers' once, before timing), then one
  one-to-many `pgr_dijkstraCost` from the place's vertex over the reversed graph to all 921
  workers' vertices, the k cheapest kept (no partial streets, no routes);
- `pgrouting_only`: the unbounded pgRouting search an answer could rest on (`pgr_withPointsDD`
  from the point over the whole reversed graph);
- `nearest_by_road`: the whole selector (available workers read nearest-first with their streets
  and the point's in one query; one `pgr_withPoints` search on the graph cut to a radius from the
  candidates' straight distances gives their metres and draws the k routes).

The machine is shared and loaded: the load average is recorded with each result.
"""
from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from bench.support import machine, percentiles_ms, timed
from geodata import roads
from geodata.models import Level, Zone
from gridops.accounts.models import Profile, Role
from gridops.emergency import nearest
from gridops.incidents.models import WorkerPosition

DEMO_STEPS = ["load_demo_zones", "load_demo_roads", "load_demo_accounts"]
POINTS = 400
K = 5
PREFIX = "bench_nearest_"

_STRAIGHT_SQL = """
SELECT user_id FROM (SELECT DISTINCT ON (user_id) user_id, point FROM incidents_workerposition
                     WHERE recorded_at >= %s ORDER BY user_id, recorded_at DESC) latest
ORDER BY point::geography <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography LIMIT %s
"""
_VERTEX_OF = "(SELECT id FROM geodata_roadvertex ORDER BY geom <-> ST_SetSRID(ST_MakePoint({x}, {y}), 4326) LIMIT 1)"
_WORKER_VERTICES_SQL = f"""
SELECT {_VERTEX_OF.format(x="ST_X(point)", y="ST_Y(point)")}
FROM incidents_workerposition WHERE recorded_at >= %s
"""
_DIJKSTRA_SQL = f"""
SELECT end_vid, agg_cost FROM pgr_dijkstraCost(%s, {_VERTEX_OF.format(x="%s", y="%s")}, %s::bigint[], directed => true)
ORDER BY agg_cost LIMIT %s
"""


def bench_workers() -> int:
    """One on-duty worker per micro-grid with a position now (created once, positions renewed)."""
    rng = random.Random(17)
    User = get_user_model()
    grids = list(Zone.objects.filter(level=Level.GRID).order_by("code"))
    now = timezone.now()
    positions = []
    for grid in grids:
        user, created = User.objects.get_or_create(username=PREFIX + grid.code)
        if created:
            Profile.objects.create(user=user, role=Role.GRID_WORKER).grids.set([grid])
        x0, y0, x1, y1 = grid.geom.extent
        while True:
            point = Point(rng.uniform(x0, x1), rng.uniform(y0, y1), srid=4326)
            if grid.geom.contains(point):
                break
        positions.append(WorkerPosition(user=user, point=point, grid=grid, town=grid.parent.parent.parent,
                                        recorded_at=now))
    WorkerPosition.objects.filter(user__username__startswith=PREFIX).delete()
    WorkerPosition.objects.bulk_create(positions)
    return len(positions)


def _points(n: int) -> list[tuple[float, float]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.17)")
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 17))).geom AS g "
                       "FROM geodata_zone WHERE level = 0) s", [n])
        return cursor.fetchall()


def run() -> dict:
    workers = bench_workers()
    load_at_start = machine()["loadavg_1_5_15"]
    operator = get_user_model().objects.get(username="district_op")
    points = _points(POINTS)
    nearest.nearest_workers(operator, *points[0], K)  # warm the connection and plans
    since = timezone.now() - timedelta(minutes=30)
    with connection.cursor() as cursor:
        cursor.execute(_WORKER_VERTICES_SQL, [since])
        vertices = sorted({row[0] for row in cursor.fetchall()})
    straight, dijkstra, only, whole, found = [], [], [], [], []
    for lon, lat in points:
        with connection.cursor() as cursor:
            elapsed, _ = timed(lambda: (cursor.execute(_STRAIGHT_SQL, [since, lon, lat, K]), cursor.fetchall()))
            straight.append(elapsed)
            elapsed, _ = timed(lambda: (cursor.execute(_DIJKSTRA_SQL, [roads.REVERSED_EDGES_SQL, lon, lat, vertices, K]),
                                        cursor.fetchall()))
            dijkstra.append(elapsed)
        elapsed, result = timed(nearest.nearest_workers, operator, lon, lat, K)
        whole.append(elapsed)
        found.append(len(result["workers"]))
        here = roads.anchor([(lon, lat)])[0]
        elapsed, _ = timed(roads.reach, here, towards=True)
        only.append(elapsed)
    load = machine()
    by_road = percentiles_ms(whole)
    return {
        "workers": workers, "k": K, "graph_edges": _count("geodata_roadedge"),
        "straight_line": percentiles_ms(straight), "pgr_dijkstra_only": percentiles_ms(dijkstra),
        "pgrouting_only": percentiles_ms(only), "nearest_by_road": by_road, "always_k_found": min(found) == K,
        "goal": "nearest_by_road p99 < 100 ms (n >= 300)", "meets_goal": by_road["p99_ms"] < 100,
        "machine": load, "loadavg_1_5_15_at_start": load_at_start,
    }


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a fixed table name)
        return cursor.fetchone()[0]
