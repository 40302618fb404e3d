"""Incident intake: report-to-dispatched latency and intake throughput over HTTP, vs raw SQL.

A grid worker's report is located, routed, deadlined, registered and dispatched in the request
that creates it (and pushed after commit), so the HTTP round trip of `POST /api/v1/incidents/`
answered with `status: dispatched` IS the report-to-dispatched latency. The baseline is a bare
`INSERT INTO incidents_incident` of a precomputed row on a plain connection in this process: the
floor that PostgreSQL alone sets. Goal (issues 3 and 13): p99 under 100 ms, one client at a time
and at 8 concurrent clients. `INCIDENTS_SEQUENTIAL` / `INCIDENTS_CONCURRENT` shorten a run.

The machine is shared, so beside the latencies the run reports what a report costs in CPU: the
server's processes' CPU seconds (uvicorn and its workers) and the bench database's PostgreSQL
backends' per report served, a figure other sessions' load does not move much. Before anything
is timed, 8 clients warm the server up, so every worker process has imported the URLconf and
every request thread holds its database connection (200 reports on one connection used to warm
one thread of one worker; the other worker's first request, importing every view, fell into the
8-client figures).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
import uuid
from urllib.parse import urlparse

import psutil

from django.db import connection, transaction
from rest_framework.authtoken.models import Token

from bench.locate import _points as district_points  # deterministic points inside the district
from bench.support import live_server, machine, percentiles_ms, timed

SEQUENTIAL = int(os.environ.get("INCIDENTS_SEQUENTIAL", "1000"))
CONCURRENT_CLIENTS = 8
CONCURRENT_REQUESTS = int(os.environ.get("INCIDENTS_CONCURRENT", "1000"))
RETRIES = 200
KEY_PREFIX = "bench-"


def _ordinary_types() -> list[str]:
    from gridops.incidents.models import EventType

    return list(EventType.objects.filter(active=True, emergency=False).values_list("code", flat=True))


def _token(username: str = "grid_worker") -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return Token.objects.get_or_create(user=user)[0].key


class Reporter:
    """One keep-alive HTTP connection posting tablet reports."""

    def __init__(self, base_url: str, token: str):
        url = urlparse(base_url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}

    def post(self, body: dict) -> tuple[int, dict]:
        self.conn.request("POST", "/api/v1/incidents/", body=json.dumps(body), headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, {"raw": raw[:300].decode(errors="replace")}


def _body(point, code: str, key: str) -> dict:
    return {"event_type": code, "lon": point[0], "lat": point[1], "accuracy_m": 8,
            "description": "bench report", "client_key": key}


def _sequential(reporter: Reporter, points, codes, rng) -> tuple[list[float], dict]:
    samples, outcome = [], {"dispatched": 0, "held": 0, "errors": 0, "keys": []}
    for point in points:
        key = KEY_PREFIX + uuid.uuid4().hex
        elapsed, (status, body) = timed(reporter.post, _body(point, rng.choice(codes), key))
        if status != 201:
            outcome["errors"] += 1
            outcome.setdefault("error_samples", {}).setdefault(status, str(body)[:300])
            continue
        samples.append(elapsed)
        outcome["keys"].append((key, point, body["properties"]["event_type"]["code"], body["id"]))
        outcome["dispatched" if body["properties"]["status"] == "dispatched" else "held"] += 1
    return samples, outcome


class ServerCpu:
    """CPU seconds spent by this process's child server (uvicorn and its workers) and by the
    PostgreSQL backends serving `database`, between `start()` and `per_request(n)`."""

    def __init__(self, database: str):
        self.database = database
        self.started: dict = {}

    def _server(self) -> dict[int, float]:
        seen = {}
        for process in psutil.Process().children(recursive=True):
            try:
                times = process.cpu_times()
                seen[process.pid] = times.user + times.system
            except psutil.Error:
                pass
        return seen

    def _postgres(self) -> dict[int, float]:
        seen = {}
        for process in psutil.process_iter(["cmdline"]):
            try:
                line = " ".join(process.info["cmdline"] or [])
                if line.startswith("postgres: ") and f" {self.database} " in line:
                    times = process.cpu_times()
                    seen[process.pid] = times.user + times.system
            except psutil.Error:
                pass
        return seen

    def start(self) -> None:
        self.started = {"server": self._server(), "postgres": self._postgres()}

    def per_request(self, requests: int) -> dict:
        """ms of CPU per request; a backend that exited meanwhile is not counted (none should)."""
        out = {}
        for name, now in (("server", self._server()), ("postgres", self._postgres())):
            before = self.started[name]
            spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())
            out[f"{name}_cpu_ms_per_report"] = round(1000 * spent / max(requests, 1), 2)
        return out


def _warm(base_url: str, token: str, points, codes) -> None:
    """Every worker process and request thread serves a few reports before anything is timed."""
    _concurrent(base_url, token, points, codes)


def _concurrent(base_url: str, token: str, points, codes) -> dict:
    chunks = [points[i::CONCURRENT_CLIENTS] for i in range(CONCURRENT_CLIENTS)]
    samples: list[float] = []
    errors = [0]
    statuses: dict = {}
    lock = threading.Lock()

    def worker(chunk, seed):
        rng = random.Random(seed)
        reporter = Reporter(base_url, token)
        local = []
        for point in chunk:
            try:
                elapsed, (status, body) = timed(reporter.post, _body(point, rng.choice(codes), KEY_PREFIX + uuid.uuid4().hex))
            except OSError as exc:  # a timeout (30 s) or a dropped connection: an error, and a new connection
                elapsed, status, body = 0.0, type(exc).__name__, str(exc)
                reporter.conn.close()
            if status == 201:
                local.append(elapsed)
            else:
                with lock:
                    errors[0] += 1
                    statuses.setdefault(status, str(body)[:300])
        with lock:
            samples.extend(local)

    threads = [threading.Thread(target=worker, args=(chunk, i)) for i, chunk in enumerate(chunks)]
    started, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, client_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"clients": CONCURRENT_CLIENTS, "requests": len(points), "errors": errors[0], "error_samples": statuses,
            "wall_s": round(wall, 2), "reports_per_s": round(len(samples) / wall, 1),
            "load_client_cpu_share": round(client_cpu / (wall * (os.cpu_count() or 1)), 3),
            "latency": percentiles_ms(samples)}


def _retries(reporter: Reporter, created: list) -> dict:
    """Replaying keys must return the same incidents (200) and create nothing."""
    from gridops.incidents.models import Incident

    before = Incident.objects.count()
    same = 0
    for key, point, code, incident_id in created[:RETRIES]:
        status, body = reporter.post(_body(point, code, key))
        same += status == 200 and body["id"] == incident_id
    return {"replayed": min(RETRIES, len(created)), "same_incident": same,
            "created_by_retries": Incident.objects.count() - before}


_RAW_INSERT = """
INSERT INTO incidents_incident (
    point, input_crs, accuracy_m, address, town_id, area_id, village_id, grid_id, event_type_id, category_id,
    priority, emergency, description, source, reporter_id, reporter_name, reporter_phone, reporter_email,
    client_key, status, version, department_id, command_centre_id, district_notified, routing_reason,
    auto_dispatched, reported_at, registered_at, dispatched_at, updated_at, response_deadline,
    resolution_deadline, escalation_level)
VALUES (ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'wgs84', 8, '', %s, %s, %s, %s, %s, %s,
    'normal', false, 'bench raw', 'grid_worker', %s, '', '', '', %s, 'dispatched', 1, %s, %s, false, '',
    true, now(), now(), now(), now(), now() + interval '4 hours', now() + interval '72 hours', 0)
RETURNING id
"""


def _raw_sql(points, template_id: int) -> tuple[list[float], float]:
    """The floor: one committed INSERT per report with everything precomputed."""
    from gridops.incidents.models import Incident

    t = Incident.objects.get(pk=template_id)
    samples = []
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for lon, lat in points:
            def insert():
                with transaction.atomic():
                    cursor.execute(_RAW_INSERT, [lon, lat, t.town_id, t.area_id, t.village_id, t.grid_id,
                                                 t.event_type_id, t.category_id, t.reporter_id,
                                                 KEY_PREFIX + uuid.uuid4().hex, t.department_id, t.command_centre_id])
                    cursor.fetchone()
            samples.append(timed(insert)[0])
    return samples, time.perf_counter() - started


def _cleanup() -> int:
    from gridops.incidents.models import Incident

    deleted, _ = Incident.objects.filter(client_key__startswith=KEY_PREFIX).delete()
    return deleted


def run() -> dict:
    before = machine()
    _cleanup()
    rng = random.Random(3)
    codes = _ordinary_types()
    token = _token()
    points = district_points(SEQUENTIAL + CONCURRENT_REQUESTS + 200, seed=0.31)
    warm, seq_points, conc_points = points[:200], points[200:200 + SEQUENTIAL], points[200 + SEQUENTIAL:]
    server_cpu = ServerCpu(connection.settings_dict["NAME"])
    with live_server(workers=2) as base_url:
        reporter = Reporter(base_url, token)
        _warm(base_url, token, warm, codes)
        server_cpu.start()
        started, cpu = time.perf_counter(), time.process_time()
        samples, outcome = _sequential(reporter, seq_points, codes, rng)
        sequential_cpu_share = round((time.process_time() - cpu) / ((time.perf_counter() - started) * (os.cpu_count() or 1)), 3)
        sequential_cpu = server_cpu.per_request(len(samples))
        retries = _retries(reporter, outcome["keys"])
        server_cpu.start()
        concurrent = _concurrent(base_url, token, conc_points, codes)
        concurrent.update(server_cpu.per_request(concurrent["latency"]["n"]))
        reporter.conn.close()
    raw_samples, raw_wall = _raw_sql(seq_points, outcome["keys"][0][3])
    http_latency = percentiles_ms(samples)
    raw_latency = percentiles_ms(raw_samples)
    removed = _cleanup()
    return {
        "report_to_dispatched_http": http_latency,
        "load_client_cpu_share_sequential": sequential_cpu_share,
        **{f"sequential_{name}": value for name, value in sequential_cpu.items()},
        "auto_dispatched": outcome["dispatched"], "held_for_a_human": outcome["held"], "errors": outcome["errors"],
        "error_samples": outcome.get("error_samples", {}),
        "raw_sql_insert": raw_latency,
        "raw_sql_inserts_per_s": round(len(raw_samples) / raw_wall, 1),
        "ratio_p50": round(http_latency["p50_ms"] / raw_latency["p50_ms"], 1),
        "intake_throughput": concurrent,
        "idempotent_retries": retries,
        "bench_rows_removed": removed,
        "machine_before": before, "machine_after": machine(),
        "goals": {"p99_ms": 100, "p99_ms_at_8_clients": 100},
        "met": http_latency["p99_ms"] < 100 and concurrent["latency"]["p99_ms"] < 100 and not concurrent["errors"],
    }
