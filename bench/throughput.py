"""Throughput against the floor: `/healthz` and three hot reads, side by side on one server.

`python -m bench throughput` (or `make bench BENCH=throughput`). One uvicorn server with the
workers `make serve` uses (2), then ApacheBench (`ab -k`, keep-alive, a C client far lighter than
any Python one, so the load client takes little of the machine) drives each endpoint in turn at
the same concurrency for the same time:

- `/healthz` — the floor: uvicorn, Django and the middleware, no database, no Redis (measured
  first and again last; the larger is the floor);
- `GET /api/v1/locate?lon&lat` — one point to its micro-grid chain (PostGIS);
- `GET /open311/v2/services.json` — the Open311 service list (reference data);
- a warm incident tile (`/tiles/incidents/14/x/y.pbf`, district operator's token, the tile
  already in the cache: the ETag check and the cached bytes).

Goal (issue 13): each of the three ≥ 50 % of the floor's requests per second. Percentiles are
ab's own (n = requests completed); the load client's CPU share and the machine's load average are
recorded with the figures, because on a shared 2-core machine they decide what the numbers mean.
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from urllib.parse import urlparse

from bench.support import live_server, machine

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue"]
CONCURRENCY = int(os.environ.get("THROUGHPUT_CONCURRENCY", "16"))
SECONDS = float(os.environ.get("THROUGHPUT_SECONDS", "15"))
WORKERS = int(os.environ.get("THROUGHPUT_WORKERS", "2"))
GOAL_SHARE = 0.5
USERNAME = "bench-throughput-district"


def _district_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from geodata.models import Level, Zone
    from gridops.accounts.models import Profile, Role

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    Profile.objects.update_or_create(user=user, defaults={"role": Role.DISTRICT_OPERATOR,
                                                          "zone": Zone.objects.get(level=Level.DISTRICT)})
    return Token.objects.get_or_create(user=user)[0].key


def _point() -> tuple[float, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM geodata_zone "
                       "WHERE level = 4 ORDER BY code LIMIT 1")
        return cursor.fetchone()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    import math

    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _ab(url: str, headers: dict) -> dict:
    """Run ab against one URL; requests/s, percentiles (n = completed) and ab's CPU seconds."""
    args = ["ab", "-q", "-k", "-c", str(CONCURRENCY), "-t", str(SECONDS), "-n", "10000000", "-l"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    started = time.perf_counter()
    process = subprocess.Popen([*args, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"ab failed: {err.strip()[:300]}")

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else float("nan")

    percent = {int(p): float(ms) for p, ms in re.findall(r"^\s+(\d+)%\s+(\d+)", out, re.M)}
    return {"n": int(number(r"Complete requests:\s+(\d+)")), "failed": int(number(r"Failed requests:\s+(\d+)")),
            "non_2xx": int(number(r"Non-2xx responses:\s+(\d+)")) if "Non-2xx" in out else 0,
            "req_per_s": number(r"Requests per second:\s+([\d.]+)"),
            "p50_ms": percent.get(50), "p99_ms": percent.get(99), "wall_s": round(wall, 1)}


def run() -> dict:
    token = _district_token()
    lon, lat = _point()
    z, x, y = _tile_of(lon, lat, 14)
    targets = {
        "healthz": ("/healthz", {}),
        "locate": (f"/api/v1/locate?lon={lon:.6f}&lat={lat:.6f}", {}),
        "open311_services": ("/open311/v2/services.json", {}),
        "incident_tile_warm": (f"/tiles/incidents/{z}/{x}/{y}.pbf", {"Authorization": f"Token {token}"}),
    }
    before = machine()
    results = {}
    with live_server(workers=WORKERS) as base_url:
        import urllib.request

        for path, headers in targets.values():  # warm: code paths, connections, the tile cache
            request = urllib.request.Request(base_url + path, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200, (path, response.status)
        for name, (path, headers) in targets.items():
            cpu0 = os.times()
            results[name] = _ab(base_url + path, headers)
            cpu1 = os.times()
            client_cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
            results[name]["load_client_cpu_share"] = round(client_cpu / (results[name]["wall_s"] * os.cpu_count()), 3)
        # The floor again at the end: on a shared machine one run can be hit by someone else's
        # spike, and the larger of the two is the harder floor to reach half of.
        cpu0 = os.times()
        results["healthz_again"] = _ab(base_url + targets["healthz"][0], {})
        cpu1 = os.times()
        client_cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
        results["healthz_again"]["load_client_cpu_share"] = round(
            client_cpu / (results["healthz_again"]["wall_s"] * os.cpu_count()), 3)
    floor = max(results["healthz"]["req_per_s"], results["healthz_again"]["req_per_s"])
    for name in ("locate", "open311_services", "incident_tile_warm"):
        results[name]["share_of_floor"] = round(results[name]["req_per_s"] / floor, 3)
    return {
        "server": f"uvicorn, {WORKERS} workers, loopback ({urlparse(base_url).hostname})",
        "client": f"ab -k -c {CONCURRENCY} -t {SECONDS}",
        "machine_before": before, "machine_after": machine(),
        "floor_req_per_s": floor,
        "results": results,
        "goal": f"each >= {GOAL_SHARE:.0%} of the /healthz floor's req/s",
        "met": all(results[name]["share_of_floor"] >= GOAL_SHARE and results[name]["failed"] == 0
                   for name in ("locate", "open311_services", "incident_tile_warm")),
    }
