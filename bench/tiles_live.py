"""Vector tiles under live writes: server CPU and PostgreSQL time per tile request (issue 13).

The load test's operators fetch `/tiles/zones|incidents/z/x/y.pbf` (zoom 11-15, a random point of
Chancheng, no query string, `Authorization: Token`, no `If-None-Match`) while ~25 reports/s
arrive. What a tile request costs then depends on what a new incident invalidates, so each case
writes first and times the next request:

- `incident_elsewhere`: one new incident (through intake, with its `incident.created` event) at a
  district point outside the requested tile's extent, then the incident tile;
- `incident_anywhere`: one new incident anywhere in the district (the load test's mix), then the
  incident tile;
- `zone_after_incident`: one new incident anywhere, then the zone tile (open/overdue counts);
- `incident_warm`, `zone_warm`: the same tile again with nothing written in between.

Per request: `time.process_time()` around the Django test client call (this process's CPU:
middleware, auth, ETag, SQL composition, cache) and the PostgreSQL time of every statement the
request ran, re-run afterwards under `EXPLAIN (ANALYZE, SUMMARY)` with the same parameters
(planning + execution). Users: a district operator and a town operator, as in the load test.
Run: `python -m bench tiles_live` (own DATABASE_URL with the demo loaded).
"""
from __future__ import annotations

import json
import math
import random
import statistics
import time

from bench.tiles import _tile_of

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue"]
BBOX = (112.98, 22.93, 113.20, 23.10)  # bench/loadtest.py's tile area
ZOOMS = (11, 12, 13, 14, 15)
N = 60
EXPLAINED = N  # requests per case whose statements are re-run under EXPLAIN ANALYZE


def _lonlat_bounds(z: int, x: int, y: int, margin: float = 64 / 4096) -> tuple[float, float, float, float]:
    n = 2 ** z

    def lon(tx):
        return tx / n * 360 - 180

    def lat(ty):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / n))))

    return lon(x - margin), lat(y + 1 + margin), lon(x + 1 + margin), lat(y - margin)


def _actors():
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from geodata.models import Level, Zone
    from gridops.accounts.models import Profile, Role
    from gridops.incidents.models import EventType

    users = []
    for name, role, zone in (("bench-live-district", Role.DISTRICT_OPERATOR, Zone.objects.get(level=Level.DISTRICT)),
                             ("bench-live-town", Role.TOWN_OPERATOR,
                              Zone.objects.filter(level=Level.TOWN).order_by("code").first())):
        user, _ = get_user_model().objects.get_or_create(username=name)
        Profile.objects.update_or_create(user=user, defaults={"role": role, "zone": zone})
        users.append((user, Token.objects.get_or_create(user=user)[0].key))
    reporter, _ = get_user_model().objects.get_or_create(username="bench-live-reporter")
    return users, reporter, EventType.objects.filter(active=True).order_by("code").first()


def _district_points(n: int) -> list[tuple[float, float]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 11))).geom AS g "
                       "FROM geodata_zone WHERE level = 0) s", [n])
        return cursor.fetchall()


class Recorder:
    """The statements a request runs, with their parameters, to EXPLAIN them afterwards."""

    def __init__(self):
        self.statements: list[tuple[str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def _explain_ms(statements) -> float:
    """PostgreSQL planning + execution time of the statements, re-run under EXPLAIN ANALYZE."""
    from django.db import connection, transaction

    total = 0.0
    for sql, params in statements:
        settings, body = [], sql
        while body.startswith("SET LOCAL "):  # the render's own settings, then its statement
            setting, body = body.split("; ", 1)
            settings.append(setting)
        if not body.lstrip().upper().startswith(("SELECT", "WITH", "EXECUTE")):
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(setting)
            cursor.execute("EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) " + body, params)
            plan = cursor.fetchone()[0]
            plan = plan if isinstance(plan, list) else json.loads(plan)
            total += plan[0].get("Planning Time", 0) + plan[0]["Execution Time"]
    return total


def _summary(cpu: list[float], pg: list[float], queries: list[int]) -> dict:
    return {"n": len(cpu), "cpu_ms_p50": round(statistics.median(cpu) * 1000, 2),
            "cpu_ms_mean": round(statistics.fmean(cpu) * 1000, 2),
            "pg_ms_p50": round(statistics.median(pg), 2) if pg else None,
            "pg_ms_mean": round(statistics.fmean(pg), 2) if pg else None, "pg_n": len(pg),
            "queries_p50": statistics.median(queries)}


def _pg_at_centre(layer_name: str, variants: dict[str, dict]) -> dict:
    """PostgreSQL time (median of 9 EXPLAIN ANALYZE runs, with the render's own settings) of the
    district centre's tile at each zoom, per query-string variant."""
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    from geodata import tiles
    from geodata.tiles import LAYERS, Tile

    settings = getattr(tiles, "RENDER_SETTINGS", "SET LOCAL jit = off; ")  # (also runs on the code before it)
    user = get_user_model().objects.get(username="bench-live-district")
    out = {}
    for z in ZOOMS:
        tile = Tile(z, *_tile_of(113.10, 23.02, z))
        times = {}
        for name, query in variants.items():
            request = RequestFactory().get("/", query)
            request.user = user
            sql, params = LAYERS[layer_name].sql(tile, request)
            times[name] = round(statistics.median(_explain_ms([(settings + sql, params)]) for _ in range(9)), 2)
        out[str(z)] = times
    return out


def _simulate_versions(points: list[tuple[float, float]], seconds: int = 600) -> dict:
    """Incident-tile cache hits in the load test's mix, with the layer-wide version (every change
    anywhere re-renders every tile) against a per-tile one (only changes inside a tile's extent,
    buffer included, re-render it). Changes: 25 new incidents/s anywhere in the district and
    4.4 transitions/s of earlier ones; requests: 8.8 incident tiles/s, zoom 11-15 at a random
    point of the load test's box, by 50 operators (10 district, 40 in 5 towns: 6 visibilities).
    Kept tiles live `tiles_server_cache` (600 s). Pure arithmetic, no server."""
    rng = random.Random(7)
    margin = 64 / 4096
    events = []
    placed = []
    t = 0.0
    while t < seconds:
        t += rng.expovariate(25 + 4.4)
        if placed and rng.random() < 4.4 / 29.4:
            events.append((t, "change", rng.choice(placed)))
        else:
            point = rng.choice(points)
            placed.append(point)
            events.append((t, "change", point))
    t = 0.0
    while t < seconds:
        t += rng.expovariate(8.8)
        z = rng.choice(ZOOMS)
        scope = rng.choices(range(6), weights=[10, 8, 8, 8, 8, 8])[0]
        events.append((t, "request", (z, *_tile_of(rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3]), z), scope)))
    events.sort(key=lambda event: event[0])
    last_global, last_tile, rendered = -1.0, {}, {"global": {}, "per_tile": {}}
    hits = {"global": 0, "per_tile": 0}
    requests = 0
    for at, kind, what in events:
        if kind == "change":
            last_global = at
            lon, lat = what
            for z in ZOOMS:
                n = 2 ** z
                fx = (lon + 180) / 360 * n
                fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
                xs = {int(fx), int(fx - margin), int(fx + margin)}
                ys = {int(fy), int(fy - margin), int(fy + margin)}
                for x in xs:
                    for y in ys:
                        last_tile[(z, x, y)] = at
            continue
        requests += 1
        key = what
        for design, changed in (("global", last_global), ("per_tile", last_tile.get(key[:3], -1.0))):
            before = rendered[design].get(key)
            if before is not None and before > changed and at - before < 600:
                hits[design] += 1
            else:
                rendered[design][key] = at
    return {"seconds": seconds, "requests": requests, "changes": sum(1 for e in events if e[1] == "change"),
            "hit_rate_layer_version": round(hits["global"] / requests, 4),
            "hit_rate_per_tile_version": round(hits["per_tile"] / requests, 4)}


def run() -> dict:
    from django.db import connection
    from django.test import Client

    from gridops.incidents.services.intake import incident_report

    (users, reporter, event_type) = _actors()
    points = _district_points(4000)
    rng = random.Random(13)
    clients = [(Client(HTTP_AUTHORIZATION=f"Token {key}"), user.username) for user, key in users]

    def new_incident(outside=None):
        for _ in range(200):
            lon, lat = rng.choice(points)
            if outside is None or not (outside[0] <= lon <= outside[2] and outside[1] <= lat <= outside[3]):
                break
        else:
            return False
        incident_report(reporter=reporter, lon=lon, lat=lat, event_type=event_type.code, source="citizen",
                        description="bench tiles_live")
        return True

    def random_tile():
        z = rng.choice(ZOOMS)
        return (z, *_tile_of(rng.uniform(BBOX[0], BBOX[2]), rng.uniform(BBOX[1], BBOX[3]), z))

    def timed_get(client, layer, tile):
        recorder = Recorder()
        with connection.execute_wrapper(recorder):
            started = time.process_time()
            response = client.get(f"/tiles/{layer}/{tile[0]}/{tile[1]}/{tile[2]}.pbf")
            cpu = time.process_time() - started
        assert response.status_code in (200, 204), (response.status_code, response.content[:200])
        return cpu, recorder.statements

    for client, _ in clients:  # warm imports, connections, the process's caches of reference data
        for layer in ("incidents", "zones"):
            timed_get(client, layer, (12, 3333, 1781))

    out = {"n_per_case": N, "zooms": list(ZOOMS), "users": [name for _, name in clients]}
    cases = {"incident_elsewhere": ("incidents", "outside"), "incident_anywhere": ("incidents", "anywhere"),
             "zone_after_incident": ("zones", "anywhere"), "incident_warm": ("incidents", None),
             "zone_warm": ("zones", None)}
    for case, (layer, write) in cases.items():
        cpu, pg, queries, skipped = [], [], [], 0
        for i in range(N):
            client, _ = clients[i % len(clients)]
            tile = random_tile()
            if write is None:
                timed_get(client, layer, tile)  # the tile is warm: the timed request is the second
            elif not new_incident(_lonlat_bounds(*tile) if write == "outside" else None):
                skipped += 1
                continue
            spent, statements = timed_get(client, layer, tile)
            cpu.append(spent)
            queries.append(len(statements))
            if i < EXPLAINED:
                pg.append(_explain_ms(statements))
        out[case] = _summary(cpu, pg, queries) | ({"skipped_no_outside_point": skipped} if skipped else {})
        print(case, out[case], flush=True)
    # Whether caching the zone geometry would take much off a zone tile rendered after a new
    # incident: the same tile with counts and as geometry alone (`counts=0`).
    out["zone_pg_ms_at_centre"] = _pg_at_centre("zones", {"with_counts": {}, "geometry_only": {"counts": "0"}})
    out["incident_pg_ms_at_centre"] = _pg_at_centre("incidents", {"unfiltered": {}})
    out["version_design_simulation"] = _simulate_versions(points)
    for key in ("zone_pg_ms_at_centre", "incident_pg_ms_at_centre", "version_design_simulation"):
        print(key, out[key], flush=True)
    return out


if __name__ == "__main__":
    import sys

    from bench.__main__ import main

    sys.exit(main(["tiles_live"]))
