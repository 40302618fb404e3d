"""Live push: 200 operator websockets, incidents reported through the service layer.

`python -m bench push` (or `make bench BENCH=push`). What is measured: the time from an
incident's commit (an `on_commit` hook registered before the service's own, so it runs first) to
its arrival at every socket entitled to it — the district operators and the operators of the
incident's town — through the real stack: uvicorn (1 worker) on loopback, the after-commit
append to the Redis stream, the worker's one stream reader (`realtime/hub.py`) and the
`EventsConsumer`. Every socket records what it receives, so the bench also counts pushes lost
(an entitled socket never got it), misdelivered (a town operator got another town's incident)
and duplicated. The per-process table re-read is off (`GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS=0`),
so only live pushes count.

Baseline in the same run: an event-shaped entry appended straight to the stream (ids reserved
from the event sequence, so it rides the same ordered path), i.e. the transport alone without
the database, the service and `publish_event`.

Goals (issue 13): sequential p99 commit → arrival under 100 ms, a burst of 40 under 500 ms,
nothing lost, misdelivered or duplicated. n is given with every percentile; the machine's load
average is recorded before and after (the figures are only as quiet as the machine).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlparse

from asgiref.sync import sync_to_async

from bench.incidents import ServerCpu
from bench.support import live_server, machine, percentiles_ms

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue"]
DISTRICT_SOCKETS = 40
TOWN_SOCKETS_EACH = 40  # four towns in the demo district → 160
INCIDENTS = 300
BASELINE_MESSAGES = 300
BURST = 40  # incidents reported at once, to see the tail under a spike
BATCHED = os.environ.get("PUSH_BATCH", "1") == "1"
ARRIVAL_TIMEOUT_S = 10.0
CONNECT_CONCURRENCY = 20
USER_PREFIX = "bench-push-"
BASELINE_ID_BASE = 10 ** 15  # far above any real event id, so consumers never confuse the two


@dataclass
class Operator:
    username: str
    token: str
    town: str | None  # None: district operator


@dataclass
class Socket:
    operator: Operator
    arrivals: dict = field(default_factory=lambda: defaultdict(list))  # (kind, key) -> [perf_counter]
    closed: str = ""  # why the socket ended early (its pushes from then on count as lost)


# --- data -------------------------------------------------------------------------------------

def _operators() -> list[Operator]:
    """Bench operators (created once, reused): district operators and 40 per town, with tokens."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from geodata.models import Level, Zone
    from gridops.accounts.models import Profile, Role

    User = get_user_model()
    district = Zone.objects.get(level=Level.DISTRICT)
    towns = list(Zone.objects.filter(level=Level.TOWN).order_by("code"))
    plan = [(f"{USER_PREFIX}d{n:03d}", Role.DISTRICT_OPERATOR, district) for n in range(DISTRICT_SOCKETS)]
    plan += [(f"{USER_PREFIX}{town.code}-{n:03d}", Role.TOWN_OPERATOR, town)
             for town in towns for n in range(TOWN_SOCKETS_EACH)]
    operators = []
    for username, role, zone in plan:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        Profile.objects.update_or_create(user=user, defaults={"role": role, "zone": zone})
        token, _ = Token.objects.get_or_create(user=user)
        operators.append(Operator(username, token.key, None if role == Role.DISTRICT_OPERATOR else zone.code))
    return operators


def _report_points(n: int) -> list[tuple[float, float]]:
    """n points on micro-grids spread over all towns (deterministic)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.4)")
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p, random() AS r "
                       "FROM geodata_zone WHERE level = 4) s ORDER BY r LIMIT %s", [n])
        points = cursor.fetchall()
    return list(itertools.islice(itertools.cycle(points), n))


def _event_type_code() -> str:
    from gridops.incidents.models import EventType

    return EventType.objects.filter(active=True).order_by("code").values_list("code", flat=True).first()


def _report(point, event_type: str, n: int) -> tuple[int, str, float]:
    """One incident through the service layer; returns (id, town code, commit time)."""
    from django.db import connection, transaction

    from gridops.incidents.services.intake import incident_report

    committed = {}
    try:
        with transaction.atomic():
            # Registered before the service's own hook (publish_event's push), so it runs first.
            transaction.on_commit(lambda: committed.setdefault("at", time.perf_counter()))
            incident, _ = incident_report(reporter=None, lon=point[0], lat=point[1], event_type=event_type,
                                          source="hotline_12345", description=f"bench push {n}")
        return incident.pk, incident.town.code, committed["at"]
    finally:
        connection.close_if_unusable_or_obsolete()


# --- sockets ----------------------------------------------------------------------------------

async def _listen(base_url: str, socket: Socket, ready: asyncio.Event, counters: dict) -> None:
    from websockets.asyncio.client import connect

    url = urlparse(base_url)
    # As the console opens it (`?batch=1`: a JSON array is several events); PUSH_BATCH=0 for the
    # one-event-per-frame protocol that clients without the flag get.
    ws_url = f"ws://{url.hostname}:{url.port}/ws/events/" + ("?batch=1" if BATCHED else "")
    # The token in the Authorization header (docs/websocket.md), never in the logged URL.
    auth = {"Authorization": f"Token {socket.operator.token}"}
    try:
        async with connect(ws_url, origin=base_url, additional_headers=auth, max_queue=None, ping_interval=None) as ws:
            hello = json.loads(await ws.recv())
            assert hello["kind"] == "realtime.hello", hello
            counters["connected"] += 1
            ready.set()
            async for raw in ws:
                at = time.perf_counter()
                decoded = json.loads(raw)
                counters["frames"] += 1
                for message in decoded if isinstance(decoded, list) else (decoded,):
                    payload = message.get("payload") or {}
                    if message.get("kind") == "bench.ping":
                        socket.arrivals[("ping", payload["n"])].append(at)
                    elif message.get("kind") == "incident.created":
                        socket.arrivals[("incident", payload.get("id"))].append(at)
            socket.closed = f"closed by the server ({ws.close_code})"
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded and reported, the bench goes on
        socket.closed = f"{type(exc).__name__}: {exc}"
    finally:
        ready.set()


async def _open_sockets(base_url: str, operators: list[Operator]) -> tuple[list[Socket], list[asyncio.Task], dict]:
    counters = {"connected": 0, "frames": 0}
    sockets = [Socket(op) for op in operators]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks = []

    async def start(socket: Socket):
        async with gate:
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(_listen(base_url, socket, ready, counters)))
            await asyncio.wait_for(ready.wait(), 30)

    await asyncio.gather(*(start(s) for s in sockets))
    return sockets, tasks, counters


def _progress(message: str) -> None:
    print(f"push: {message}", file=sys.stderr, flush=True)


def _entitled(socket: Socket, town: str) -> bool:
    return socket.operator.town is None or socket.operator.town == town


async def _wait_arrivals(sockets: list[Socket], key, town: str, deadline: float) -> None:
    """Wait (bounded) until every entitled socket has the message; polls the loop, not a clock sleep."""
    expecting = [s for s in sockets if _entitled(s, town)]
    while time.perf_counter() < deadline:
        if all(s.arrivals.get(key) or s.closed for s in expecting):
            return
        await asyncio.sleep(0.001)


def _score(sockets: list[Socket], sent: list[tuple[object, str, float]]) -> dict:
    """Latencies of entitled arrivals, plus lost, misdelivered and duplicated counts."""
    samples, lost, misdelivered, duplicates = [], 0, 0, 0
    for key, town, started in sent:
        for socket in sockets:
            times = socket.arrivals.get(key, [])
            duplicates += max(0, len(times) - 1)
            if _entitled(socket, town):
                if times:
                    samples.append(times[0] - started)
                else:
                    lost += 1
            elif times:
                misdelivered += 1
    return {"latency": percentiles_ms(samples) if samples else None, "deliveries": len(samples),
            "lost": lost, "misdelivered": misdelivered, "duplicates": duplicates}


def _database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def _reserve_event_ids(n: int) -> list[int]:
    """Ids taken from the event table's own sequence (never inserted): baseline messages then sit
    in the live id order like real events, so they travel exactly the path events travel."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('realtime_event', 'id')) FROM generate_series(1, %s)", [n])
        return [row[0] for row in cursor.fetchall()]


async def _baseline(sockets: list[Socket], towns: list[str]) -> dict:
    """The transport alone: an event-shaped entry appended straight to the Redis stream (no
    database, no service, no commit), read by the server's hubs and pushed to the same sockets."""
    from gridops.realtime import stream

    ids = await sync_to_async(_reserve_event_ids, thread_sensitive=False)(BASELINE_MESSAGES)
    client = stream.client()
    sent = []
    for n, event_id in enumerate(ids):
        town = towns[n % len(towns)]
        entry = {stream.EVENT_FIELD: json.dumps({"id": event_id, "kind": "bench.ping", "payload": {"n": n},
                                                 "audiences": ["district", f"town.{town}"]})}
        started = time.perf_counter()
        client.xadd(stream.stream_key(), entry)
        sent.append((("ping", n), town, started))
        await _wait_arrivals(sockets, ("ping", n), town, time.perf_counter() + ARRIVAL_TIMEOUT_S)
    return _score(sockets, sent)


async def _reports(sockets: list[Socket], points, event_type: str, *, burst: bool) -> dict:
    """Incidents one after the other (each waited for), or BURST of them at once."""
    report = sync_to_async(_report, thread_sensitive=False)
    sent = []
    if burst:
        results = await asyncio.gather(*(report(p, event_type, n) for n, p in enumerate(points)))
        sent = [(("incident", pk), town, at) for pk, town, at in results]
        deadline = time.perf_counter() + ARRIVAL_TIMEOUT_S
        for key, town, _ in sent:
            await _wait_arrivals(sockets, key, town, deadline)
    else:
        for n, point in enumerate(points):
            pk, town, at = await report(point, event_type, n)
            sent.append((("incident", pk), town, at))
            await _wait_arrivals(sockets, ("incident", pk), town, time.perf_counter() + ARRIVAL_TIMEOUT_S)
    await asyncio.sleep(0.5)  # a last look for late or stray (misdelivered, duplicate) arrivals
    return _score(sockets, sent)


async def _run(base_url: str, operators: list[Operator], points, event_type: str) -> dict:
    started = time.perf_counter()
    sockets, tasks, counters = await _open_sockets(base_url, operators)
    connect_s = time.perf_counter() - started
    towns = sorted({op.town for op in operators if op.town})
    try:
        await _reports(sockets, points[:20], event_type, burst=False)  # warm-up: code paths, pools
        _progress(f"{counters['connected']} sockets in {connect_s:.1f} s; baseline")
        server_cpu = ServerCpu(_database_name())
        server_cpu.start()
        baseline = await _baseline(sockets, towns)
        # The server's CPU per frame it pushed (one event per frame here, each delivered once to
        # each entitled socket): what a frame costs the hub, the consumer and uvicorn's send path.
        spent_ms = server_cpu.per_request(1)["server_cpu_ms_per_report"]
        baseline["server_cpu_us_per_delivery"] = round(spent_ms * 1000 / max(baseline["deliveries"], 1), 1)
        _progress(f"baseline p99 {baseline['latency']['p99_ms']} ms; {INCIDENTS} sequential reports")
        cpu, wall = time.process_time(), time.perf_counter()
        sequential = await _reports(sockets, points[20:20 + INCIDENTS], event_type, burst=False)
        _progress(f"sequential p99 {sequential['latency']['p99_ms']} ms; burst of {BURST}")
        burst = await _reports(sockets, points[20 + INCIDENTS:], event_type, burst=True)
        measured_cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    closed = [s.closed for s in sockets if s.closed]
    return {"sockets": counters["connected"], "connect_all_s": round(connect_s, 2),
            "sockets_closed_early": len(closed), "close_reasons": sorted(set(closed))[:5],
            "baseline": baseline, "sequential": sequential, "burst": burst,
            "batched_sockets": BATCHED, "frames_received": counters["frames"],
            "load_client_cpu_s_during_reports": round(measured_cpu, 2),
            "load_client_cpu_share": round(measured_cpu / (wall * (os.cpu_count() or 1)), 3)}


def run() -> dict:
    started_on = machine()
    operators = _operators()
    points = _report_points(20 + INCIDENTS + BURST)
    event_type = _event_type_code()
    with live_server() as base_url:
        result = asyncio.run(_run(base_url, operators, points, event_type))
    seq, base = result["sequential"], result["baseline"]
    from django.conf import settings

    result.update({
        "transport": f"Redis stream {settings.REDIS_NAMESPACE}:events, one reader per uvicorn worker",
        "machine_before": started_on, "machine_after": machine(),
        "district_sockets": DISTRICT_SOCKETS,
        "town_sockets": len(operators) - DISTRICT_SOCKETS,
        "ratio_p50_vs_raw_stream_append": round(seq["latency"]["p50_ms"] / base["latency"]["p50_ms"], 2),
        "ratio_p99_vs_raw_stream_append": round(seq["latency"]["p99_ms"] / base["latency"]["p99_ms"], 2),
        "goals": {"sequential_p99_ms": 100, "burst_p99_ms": 500, "lost": 0, "misdelivered": 0, "duplicates": 0},
        "met": all(r["latency"]["p99_ms"] < limit and r["lost"] == 0 and r["misdelivered"] == 0
                   and r["duplicates"] == 0 for r, limit in ((seq, 100), (result["burst"], 500))),
    })
    return result
