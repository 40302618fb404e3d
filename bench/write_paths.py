"""The incident write paths in-process: CPU and statements per request (issue 13).

Latencies on the shared machine move with the other sessions' load; what a request costs does
not, much. This drives the Django test client (no server, no network) through the tablet's and
the console's writes on the demo district and reports, per kind, the median CPU time of the
process (`time.process_time()` around each call) and the statements it sent
(`CaptureQueriesContext`):

- `report`: a grid worker's report in their own micro-grids (auto-dispatched);
- `retry`: the same report again (same client key), answered with the first;
- `photo`: a small PNG attached to it;
- `transition`: accept and resolve (the grid worker), verify (the town operator), close (the
  district operator, audited).

`WRITE_PATHS_N` (default 60) reports, so four times as many transitions. The rows it made are
deleted afterwards; photos go to a temporary MEDIA_ROOT.
"""
from __future__ import annotations

import io
import json
import os
import random
import statistics
import tempfile
import time
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue", "load_demo_accounts"]
N = int(os.environ.get("WRITE_PATHS_N", "60"))
KEY_PREFIX = "bench-writes-"
_WORKER_POINTS_SQL = """
SELECT ST_X(g), ST_Y(g) FROM (
  SELECT (ST_Dump(ST_GeneratePoints(z.geom, 40, 42))).geom AS g
  FROM geodata_zone z JOIN accounts_profile_grids pg ON pg.zone_id = z.id
  JOIN accounts_profile p ON p.id = pg.profile_id JOIN auth_user u ON u.id = p.user_id
  WHERE u.username = 'grid_worker') s
"""


def _client(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.get(username=username)
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")


def _png(seed: int):
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, (seed // 256) % 256, 77)).save(data, "PNG")
    data.seek(0)
    data.name = f"p{seed}.png"
    return data


def _post(client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


def run() -> dict:
    from django.test import override_settings

    from gridops.incidents.models import EventType, Incident

    codes = list(EventType.objects.filter(active=True, emergency=False).values_list("code", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.5)")
        cursor.execute(_WORKER_POINTS_SQL)
        points = cursor.fetchall()
    rng = random.Random(7)
    worker, district, town = _client("grid_worker"), _client("district_op"), _client("nanzhuang_op")
    samples: dict[str, dict[str, list]] = {}

    def measured(kind, call):
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            response = call()
            spent = time.process_time() - started
        samples.setdefault(kind, {"cpu": [], "statements": []})
        samples[kind]["cpu"].append(spent * 1000)
        samples[kind]["statements"].append(len(queries.captured_queries))
        assert response.status_code in (200, 201), (kind, response.status_code, response.content[:300])
        return response.json()

    def body(i):
        lon, lat = points[i % len(points)]
        return {"event_type": rng.choice(codes), "lon": lon, "lat": lat, "accuracy_m": 8,
                "description": "bench write paths", "client_key": KEY_PREFIX + uuid.uuid4().hex}

    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        for i in range(5):  # warm caches, prepared statements and the token users
            _post(worker, "/api/v1/incidents/", body(i))
        for i in range(N):
            report = body(100 + i)
            made = measured("report", lambda: _post(worker, "/api/v1/incidents/", report))
            url, version = f"/api/v1/incidents/{made['id']}/", made["properties"]["version"]
            if made["properties"]["status"] != "dispatched":  # a suspected duplicate waits: dispatch it
                for status in ("registered", "dispatched"):
                    _post(town, url + "transitions/", {"status": status, "version": version})
                    version += 1
            measured("retry", lambda: _post(worker, "/api/v1/incidents/", report))
            measured("photo", lambda: worker.post(url + "photos/", {"photo": _png(i)}))
            for who, status in ((worker, "in_progress"), (worker, "resolved"), (town, "verified"), (district, "closed")):
                measured("transition", lambda: _post(who, url + "transitions/", {"status": status, "version": version}))
                version += 1
    removed, _ = Incident.objects.filter(client_key__startswith=KEY_PREFIX).delete()
    result = {kind: {"n": len(s["cpu"]), "cpu_ms_median": round(statistics.median(s["cpu"]), 2),
                     "statements_median": statistics.median(s["statements"]), "statements_max": max(s["statements"])}
              for kind, s in samples.items()}
    return {**result, "rows_removed": removed, "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()]}
