"""Throughput against the floor: `/healthz` and the hot reads, side by side on one server.

`python -m bench throughput` (or `make bench BENCH=throughput`). One uvicorn server with the
workers `make serve` uses (2), then wrk (a C client on one thread, HTTP/1.1 keep-alive, far
lighter than any Python one, so the load client takes little of the machine) drives each
endpoint in turn at the same concurrency for the same time:

- `/healthz` — the floor: uvicorn, Django and the middleware, no database, no Redis;
- `GET /api/v1/locate?lon&lat` — one point to its micro-grid chain (PostGIS);
- `GET /open311/v2/services.json` — the Open311 service list (reference data), as wrk asks by
  default (no `Accept-Encoding`: the 514 kB body) and as HTTP clients ask for it (`Accept-Encoding:
  gzip`: the body compressed once per version, since session 14);
- a warm incident tile (`/tiles/incidents/14/x/y.pbf`, district operator's token, the tile
  already in the cache: the ETag check and the cached bytes);
- the same tile as the operator console asks for it, with its filter form's default
  (`?status=open`): the filters are validated into the ETag on every request;
- that console tile asked by a town operator (first town; since session 16): a jurisdiction with
  a condition, whose visibility is its own cache key (half the load test's operators are such).

Each run's connections must reach every worker (`_measured`). They run in turn,
`THROUGHPUT_ROUNDS` times (3): on a shared machine one endpoint's run
can meet someone else's spike, so each round's ratios are kept, and the figure is each
endpoint's median req/s over the rounds against the floor's median.

Why not ApacheBench: `ab -k` speaks HTTP/1.0, and uvicorn keeps no HTTP/1.0 connection alive, so
every ab request opened a new TCP connection (ab's own "Keep-Alive requests: 0"): the figures
counted connection set-up that no browser, tablet or proxy pays, and a cheaper floor was hidden.

Goal (issue 13): each of the reads ≥ 50 % of the floor's requests per second. Percentiles are
wrk's (its histogram of every request; n = requests completed); the load client's CPU share and
the machine's load average are recorded with the figures, because on a shared 2-core machine
they decide what the numbers mean.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import time
from urllib.parse import urlparse

from bench.support import live_server, machine

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue"]
CONCURRENCY = int(os.environ.get("THROUGHPUT_CONCURRENCY", "16"))
SECONDS = int(float(os.environ.get("THROUGHPUT_SECONDS", "10")))
ROUNDS = int(os.environ.get("THROUGHPUT_ROUNDS", "3"))
ATTEMPTS = 4
WORKERS = int(os.environ.get("THROUGHPUT_WORKERS", "2"))
GOAL_SHARE = 0.5
READS = ("locate", "open311_services", "open311_services_gzip", "incident_tile_warm", "incident_tile_warm_console",
         "incident_tile_warm_town_console")
USERNAME = "bench-throughput-district"
TOWN_USERNAME = "bench-throughput-town"


def _token(username: str, role: str, level: int) -> str:
    """The token of an operator of `role` whose zone is the first zone of `level`."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from geodata.models import Zone
    from gridops.accounts.models import Profile

    user, _ = get_user_model().objects.get_or_create(username=username)
    Profile.objects.update_or_create(user=user, defaults={"role": role,
                                                          "zone": Zone.objects.filter(level=level).order_by("code").first()})
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


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * _UNIT_MS[unit], 3)


def _connections_per_worker(port: int) -> list[int]:
    """How many of the client's established connections each server process holds (`ss`)."""
    out = subprocess.run(["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True).stdout
    pids = re.findall(r"pid=(\d+)", out)
    return sorted((pids.count(pid) for pid in set(pids)), reverse=True)


def _wrk(url: str, headers: dict) -> dict:
    """Run wrk against one URL; requests/s, percentiles (n = completed), errors, and how its
    connections were spread over the server's workers."""
    args = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    started = time.perf_counter()
    process = subprocess.Popen([*args, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(min(1.0, SECONDS / 4))
    spread = _connections_per_worker(urlparse(url).port)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0 or "requests in" not in out:
        raise RuntimeError(f"wrk failed: {(err or out).strip()[:300]}")
    percent = {int(p): _ms(value) for p, value in re.findall(r"^\s+(\d+)%\s+([\d.]+(?:us|ms|s|m))\s*$", out, re.M)}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"n": int(re.search(r"(\d+) requests in", out).group(1)),
            "failed": sum(int(x) for x in errors.groups()) if errors else 0,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": percent.get(50), "p99_ms": percent.get(99), "wall_s": round(wall, 1),
            "connections_per_worker": spread}


def _measured(url: str, headers: dict) -> dict:
    """One wrk run whose connections reached every worker.

    The workers share one listening socket and wrk opens its connections in one burst: the first
    worker to wake often accepts all of them, and the other then idles for the whole run (the
    same endpoint measured at half its rate). Clients arriving over time, or a proxy, spread
    them; so a run in which a worker got fewer than a quarter of its share is run again (at
    most `ATTEMPTS` times; the attempts are recorded)."""
    for attempt in range(1, ATTEMPTS + 1):
        cpu0 = os.times()
        result = _wrk(url, headers)
        cpu1 = os.times()
        client_cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
        result["load_client_cpu_share"] = round(client_cpu / (result["wall_s"] * os.cpu_count()), 3)
        result["attempts"] = attempt
        spread = result["connections_per_worker"]
        if len(spread) >= WORKERS and min(spread) >= CONCURRENCY / (4 * WORKERS):
            break
    return result


def run() -> dict:
    from geodata.models import Level
    from gridops.accounts.models import Role

    token = _token(USERNAME, Role.DISTRICT_OPERATOR, Level.DISTRICT)
    town_token = _token(TOWN_USERNAME, Role.TOWN_OPERATOR, Level.TOWN)
    lon, lat = _point()
    z, x, y = _tile_of(lon, lat, 14)
    targets = {
        "healthz": ("/healthz", {}),
        "locate": (f"/api/v1/locate?lon={lon:.6f}&lat={lat:.6f}", {}),
        "open311_services": ("/open311/v2/services.json", {}),
        "open311_services_gzip": ("/open311/v2/services.json", {"Accept-Encoding": "gzip"}),
        "incident_tile_warm": (f"/tiles/incidents/{z}/{x}/{y}.pbf", {"Authorization": f"Token {token}"}),
        "incident_tile_warm_console": (f"/tiles/incidents/{z}/{x}/{y}.pbf?status=open",
                                       {"Authorization": f"Token {token}"}),
        "incident_tile_warm_town_console": (f"/tiles/incidents/{z}/{x}/{y}.pbf?status=open",
                                            {"Authorization": f"Token {town_token}"}),
    }
    before = machine()
    rounds = []
    with live_server(workers=WORKERS) as base_url:
        import urllib.request

        for path, headers in targets.values():  # warm: code paths, connections, the tile cache
            request = urllib.request.Request(base_url + path, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200, (path, response.status)
        for _ in range(ROUNDS):
            rounds.append({name: _measured(base_url + path, headers) for name, (path, headers) in targets.items()})
    for results in rounds:
        for name in READS:
            results[name]["share_of_floor"] = round(results[name]["req_per_s"] / results["healthz"]["req_per_s"], 3)
    median = {name: statistics.median(r[name]["req_per_s"] for r in rounds) for name in targets}
    floor = median["healthz"]
    summary = {name: {"median_req_per_s": round(median[name], 1), "share_of_floor": round(median[name] / floor, 3),
                      "requests": sum(r[name]["n"] for r in rounds),
                      "failed": sum(r[name]["failed"] + r[name]["non_2xx"] for r in rounds)}
               for name in READS}
    return {
        "server": f"uvicorn, {WORKERS} workers, loopback ({urlparse(base_url).hostname})",
        "client": f"wrk -t1 -c{CONCURRENCY} -d{SECONDS}s (HTTP/1.1 keep-alive), {ROUNDS} rounds in turn",
        "machine_before": before, "machine_after": machine(),
        "floor_req_per_s": round(floor, 1),
        "summary": summary,
        "rounds": rounds,
        "goal": f"each >= {GOAL_SHARE:.0%} of the /healthz floor's req/s (medians over the rounds)",
        "met": all(summary[name]["share_of_floor"] >= GOAL_SHARE and summary[name]["failed"] == 0 for name in READS),
    }
