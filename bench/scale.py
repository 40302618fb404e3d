"""Data scale: the queries that matter at 3 million and at 30 million rows of events and positions.

Issue 16's bench. The rows are generated with COPY into `gridops_scale` (a database of its own,
never the demo's or the other benches'), half events (within their 14-day retention) and half
worker positions (within their 90 days), on top of the demo district and its year of incidents.
At each size the bench times, in this process through the full Django stack (test client with a
district operator's session, so the figures compare sizes, not HTTP servers):

- `incident_list`: GET /api/v1/incidents/ (the console's first page),
- `tile`: GET /tiles/incidents/14/x/y.pbf over the district, each sample a tile the cache does
  not hold (its own `since`), so it renders; the data version reads the partitioned event table,
- `kpi_strip`: GET /api/v1/realtime/kpis/,
- `catchup_district` / `catchup_town`: `events_since`, what the socket runs on reconnect, for a
  client that missed the last 500 events (the same amount of work at both sizes, so only the
  table size differs),
- `positions_latest`: the latest ping of each worker over the last 15 minutes (grows with the
  density of pings, reported with its row count),
- the baseline of the same run: `SELECT 1` through the same connection.

Goal (issue 16): each p50 at 30M within 1.5x of its p50 at 3M. `SCALE_STAGES` (default
"3000000,30000000") sets the sizes; `SCALE_SAMPLES` (default 200) the samples per query. Load
average is recorded with every stage (the machine is shared).
"""
from __future__ import annotations

import io
import os
import random
import time
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import connection

from bench.support import machine, percentiles_ms, timed

DATABASE = "gridops_scale"
DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue", "load_demo_accounts", "load_demo_history"]
STAGES = [int(n) for n in os.environ.get("SCALE_STAGES", "3000000,30000000").split(",")]
SAMPLES = int(os.environ.get("SCALE_SAMPLES", "200"))
MISSED_EVENTS = 500
EVENT_DAYS, POSITION_DAYS = 14, 90
GOAL_RATIO = 1.5
KINDS = ["incident.updated", "incident.created", "worker.position", "hall.queue"]


class _Lines(io.RawIOBase):
    """A file object over an iterator of text lines, for COPY ... FROM STDIN without a temp file."""

    def __init__(self, lines):
        self._lines = lines
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while len(self._buffer) < len(target):
            chunk = "".join(line for _, line in zip(range(2000), self._lines))
            if not chunk:
                break
            self._buffer += chunk.encode()
        size = min(len(target), len(self._buffer))
        target[:size], self._buffer = self._buffer[:size], self._buffer[size:]
        return size


def _ensure_partitions() -> None:
    """Partitions back over the retention windows (a fresh database has only pg_partman's premake
    behind today), so the generated history lands in day/week partitions, not the default one."""
    with connection.cursor() as cursor:
        for table, days, unit in (("realtime_event", EVENT_DAYS, "day"), ("incidents_workerposition", POSITION_DAYS, "week")):
            # pg_partman takes each partition's lower bound, so the times are truncated to them.
            cursor.execute(
                "SELECT partman.create_partition_time(%s, array_agg(DISTINCT date_trunc(%s, t))) FROM generate_series("
                "now() - make_interval(days => %s), now(), '1 day'::interval) t", [f"public.{table}", unit, days])


def _copy_events(count: int, rng: random.Random, towns: list[str]) -> None:
    if count <= 0:
        return
    now = datetime.now(dt_timezone.utc)
    span = EVENT_DAYS * 86400 - 3600
    start = now - timedelta(seconds=span)
    step = span / count

    def lines():
        for i in range(count):
            at = start + timedelta(seconds=i * step)  # ids follow time, as in production
            town = towns[i % len(towns)]
            yield (f"{KINDS[i % len(KINDS)]}\t{{\"id\": {rng.randrange(1, 10**6)}, \"status\": \"dispatched\"}}\t"
                   f"{{district,town.{town}}}\t{at.isoformat()}\n")

    with connection.cursor() as cursor:
        cursor.cursor.copy_expert("COPY realtime_event (kind, payload, audiences, created_at) FROM STDIN",
                                  _Lines(lines()), size=1 << 20)


def _copy_positions(count: int, rng: random.Random, users: list[int], towns: list[int]) -> None:
    if count <= 0:
        return
    now = datetime.now(dt_timezone.utc)
    span = POSITION_DAYS * 86400 - 3600
    start = now - timedelta(seconds=span)

    def lines():
        for i in range(count):
            at = (start + timedelta(seconds=rng.random() * span)).isoformat()
            lon, lat = 113.02 + rng.random() * 0.12, 22.97 + rng.random() * 0.1
            yield (f"{users[i % len(users)]}\tSRID=4326;POINT({lon:.6f} {lat:.6f})\t{rng.randrange(3, 40)}\t"
                   f"{towns[i % len(towns)]}\t{at}\t{at}\n")

    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY incidents_workerposition (user_id, point, accuracy_m, town_id, recorded_at, received_at) FROM STDIN",
            _Lines(lines()), size=1 << 20)


def _rows() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM realtime_event), (SELECT count(*) FROM incidents_workerposition)")
        events, positions = cursor.fetchone()
    return {"events": events, "positions": positions}


def _grow_to(total: int, rng: random.Random) -> float:
    """COPY events and positions (half each) until the two tables hold `total` rows; seconds taken."""
    from django.contrib.auth import get_user_model

    from geodata.models import Zone

    have = _rows()
    towns = list(Zone.objects.filter(level=1).values_list("code", "id"))
    users = list(get_user_model().objects.values_list("id", flat=True))
    started = time.perf_counter()
    _copy_events(max(0, total // 2 - have["events"]), rng, [code for code, _ in towns])
    _copy_positions(max(0, total - total // 2 - have["positions"]), rng, users, [pk for _, pk in towns])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE realtime_event; ANALYZE incidents_workerposition")
    return time.perf_counter() - started


def _sizes() -> dict:
    """Bytes per row of each table: heap, and heap + indexes, over all its partitions."""
    out = {}
    with connection.cursor() as cursor:
        for table in ("realtime_event", "incidents_workerposition"):
            cursor.execute(
                "SELECT sum(pg_table_size(relid)), sum(pg_indexes_size(relid)), "
                "(SELECT count(*) FROM pg_partition_tree(%s) WHERE isleaf) FROM pg_partition_tree(%s)",
                [table, table])
            heap, indexes, partitions = (int(value) for value in cursor.fetchone())
            cursor.execute(f"SELECT count(*) FROM {table}")
            (rows,) = cursor.fetchone()
            out[table] = {"rows": rows, "partitions": partitions, "heap_bytes": heap, "index_bytes": indexes,
                          "bytes_per_row": round((heap + indexes) / max(rows, 1), 1),
                          "heap_bytes_per_row": round(heap / max(rows, 1), 1)}
    return out


def _tile_paths(n: int) -> list[str]:
    """`n` tile requests over the district, each with its own `since` (a year back, a day apart),
    so every one misses the tile cache and renders: the same list at every size."""
    from bench.tiles import _district_points, _tile_of

    tiles = sorted({_tile_of(lon, lat, 14) for lon, lat in _district_points(200)})
    today = datetime.now(dt_timezone.utc).date()
    return [f"/tiles/incidents/14/{x}/{y}.pbf?since={today - timedelta(days=365 - i % 365)}"
            for i, (x, y) in enumerate(tiles[i % len(tiles)] for i in range(n + 1))]


def _measure(samples: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from gridops.realtime.models import Event
    from gridops.realtime.selectors import audiences_of, events_since
    from gridops.incidents.selectors import positions_latest

    people = {name: get_user_model().objects.get(username=name) for name in ("district_op", "zumiao_op")}
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(people["district_op"])
    newest = Event.objects.order_by("-id").values_list("id", flat=True).first()
    last_id = newest - MISSED_EVENTS
    tiles = _tile_paths(samples)

    def get(path):
        response = client.get(path)
        assert response.status_code in (200, 204), (path, response.status_code)

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    cases = {
        "baseline_select_1": select_one,
        "incident_list": lambda: get("/api/v1/incidents/"),
        "tile": lambda: get(tiles.pop()),
        "kpi_strip": lambda: get("/api/v1/realtime/kpis/"),
        "catchup_district": lambda: events_since(audiences=audiences_of(people["district_op"]), last_id=last_id),
        "catchup_town": lambda: events_since(audiences=audiences_of(people["zumiao_op"]), last_id=last_id),
        "positions_latest": lambda: list(positions_latest(
            people["district_op"], since=datetime.now(dt_timezone.utc) - timedelta(minutes=15))),
    }
    for func in cases.values():  # untimed warm-up round
        func()
    samples_by_case: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(samples):  # interleaved, so machine noise hits every case alike
        for name, func in cases.items():
            samples_by_case[name].append(timed(func)[0])
    result = {name: percentiles_ms(values) for name, values in samples_by_case.items()}
    result["catchup_district"]["rows"] = len(events_since(audiences=audiences_of(people["district_op"]), last_id=last_id)[0])
    result["positions_latest"]["rows"] = len(list(positions_latest(
        people["district_op"], since=datetime.now(dt_timezone.utc) - timedelta(minutes=15))))
    return result


def run() -> dict:
    rng = random.Random(16)
    _ensure_partitions()
    stages = []
    for total in STAGES:
        seconds = _grow_to(total, rng)
        stages.append({"target_rows": total, "rows": _rows(), "generate_seconds": round(seconds, 1),
                       "machine": machine(), "sizes": _sizes(), "p": _measure(SAMPLES),
                       "machine_after": machine()})
    result = {"database": DATABASE, "samples_per_query": SAMPLES, "stages": stages}
    if len(stages) >= 2:
        first, last = stages[0]["p"], stages[-1]["p"]
        result["ratio_p50_last_vs_first"] = {
            name: round(last[name]["p50_ms"] / first[name]["p50_ms"], 2) for name in first}
        result["goal"] = f"each p50 at {STAGES[-1]:,} within {GOAL_RATIO}x of {STAGES[0]:,}"
    return result
