"""Locate: one point through HTTP, a 10,000-point batch through HTTP, and the same SQL directly.

Goal (issue 2): single locate p50 under 5 ms through HTTP; a batch of 10,000 under 1 s.
The baseline is the rule's SQL (`LOCATE_ONE_SQL`, `LOCATE_MANY_SQL`) run on a plain connection in
this process, so the ratio shows what HTTP + Django + JSON add on top of PostGIS. Since issue 13
locate answers from the process's index of micro-grids (`geodata.selectors.locate_index`); its
own time in this process (`*_index`, the index already built) is measured beside the SQL.
"""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

from django.db import connection

from bench.support import live_server, percentiles_ms, timed
from geodata.selectors import LOCATE_MANY_SQL, LOCATE_ONE_SQL
from geodata.selectors.locate_index import index_for

DEMO_STEPS = ["load_demo_zones"]
SINGLE_REQUESTS = 2000
BATCH_SIZE = 10_000
BATCH_REPEATS = 5


def _points(n: int, seed: float = 0.42) -> list[tuple[float, float]]:
    """n pseudo-random points inside the district (deterministic)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 42))).geom AS g "
            "FROM geodata_zone WHERE level = 0) s", [n])
        return cursor.fetchall()


def _sql_single(points) -> list[float]:
    samples = []
    with connection.cursor() as cursor:
        for lon, lat in points:
            elapsed, _ = timed(lambda: (cursor.execute(LOCATE_ONE_SQL, [lon, lat]), cursor.fetchone()))
            samples.append(elapsed)
    return samples


def _sql_batch(points) -> list[float]:
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    samples = []
    with connection.cursor() as cursor:
        for _ in range(BATCH_REPEATS):
            elapsed, _ = timed(lambda: (cursor.execute(LOCATE_MANY_SQL, [lons, lats]), cursor.fetchall()))
            samples.append(elapsed)
    return samples


def _index_single(points) -> list[float]:
    index = index_for()
    return [timed(index.row, lon, lat)[0] for lon, lat in points]


def _index_batch(points) -> list[float]:
    index = index_for()
    return [timed(index.rows, points)[0] for _ in range(BATCH_REPEATS)]


def _http_single(conn, points) -> list[float]:
    samples = []
    for lon, lat in points:
        def call():
            conn.request("GET", f"/api/v1/locate?lon={lon}&lat={lat}")
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, body
        elapsed, _ = timed(call)
        samples.append(elapsed)
    return samples


def _http_batch(conn, points) -> list[float]:
    payload = json.dumps({"points": [[lon, lat] for lon, lat in points]})
    samples = []
    for _ in range(BATCH_REPEATS):
        def call():
            conn.request("POST", "/api/v1/locate", body=payload, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            body = json.loads(response.read())
            assert response.status == 200 and body["located"] == len(points), body.get("error")
        elapsed, _ = timed(call)
        samples.append(elapsed)
    return samples


def run() -> dict:
    singles = _points(SINGLE_REQUESTS)
    batch = _points(BATCH_SIZE, seed=0.7)
    sql_single = percentiles_ms(_sql_single(singles))
    sql_batch = percentiles_ms(_sql_batch(batch))
    index_single = percentiles_ms(_index_single(singles))
    index_batch = percentiles_ms(_index_batch(batch))
    with live_server() as base_url:
        url = urlparse(base_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        _http_single(conn, singles[:100])  # warm up the worker's connection and code paths
        http_single = percentiles_ms(_http_single(conn, singles))
        http_batch = percentiles_ms(_http_batch(conn, batch))
        conn.close()
    return {
        "single_http": http_single,
        "single_sql": sql_single,
        "single_index": index_single,
        "single_ratio_p50": round(http_single["p50_ms"] / sql_single["p50_ms"], 2),
        "batch_10000_http": http_batch,
        "batch_10000_sql": sql_batch,
        "batch_10000_index": index_batch,
        "batch_ratio_p50": round(http_batch["p50_ms"] / sql_batch["p50_ms"], 2),
        "goals": {"single_p50_ms": 5, "batch_10000_ms": 1000},
        "met": http_single["p50_ms"] < 5 and http_batch["p50_ms"] < 1000,
    }
