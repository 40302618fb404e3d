"""Emergency task push: declaration → the tasked tablets' sockets (issue 17: "within 1 s").

150 grid workers' sockets (token-authenticated, like tablets) listen on a live uvicorn server;
100 emergencies are declared one after another through the service, each a 400 m circle round a
listening worker, so each tasks one or more of them. For every tasked socket the time from the
start of the declaration (the operator's click reaching the server) to the task's arrival is
recorded. Baseline in the same run: the same sockets, a bare `publish_event` to `user.<id>`
(the push path without the emergency's own work: area, grids, tasks). Nothing else is timed in
the browser test; this is where the latency lives. Loaded machine: load average recorded.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from urllib.parse import urlparse

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from bench.nearest import PREFIX, bench_workers
from bench.support import live_server, machine, percentiles_ms

DEMO_STEPS = ["load_demo_zones", "load_demo_roads", "load_demo_accounts"]
SOCKETS = 150
DECLARATIONS = 100
RADIUS_M = 400
TIMEOUT_S = 10.0


def _listeners() -> list[dict]:
    from rest_framework.authtoken.models import Token

    from gridops.incidents.models import WorkerPosition

    bench_workers()
    users = list(get_user_model().objects.filter(username__startswith=PREFIX).order_by("username"))
    chosen = random.Random(17).sample(users, SOCKETS)
    where = {p.user_id: (p.point.x, p.point.y) for p in WorkerPosition.objects.filter(user__in=chosen)}
    return [{"id": u.pk, "token": Token.objects.get_or_create(user=u)[0].key, "at": where[u.pk]} for u in chosen]


def _declare(operator, place, n: int) -> tuple[float, list[int]]:
    from gridops.emergency import services

    started = time.perf_counter()
    emergency, _ = services.emergency_declare(user=operator, kind="flood", title=f"压测 {n}",
                                              area={"point": list(place), "radius_m": RADIUS_M})
    return started, list(emergency.tasks.values_list("worker_id", flat=True))


def _ping(user_ids: list[int], n: int) -> float:
    from gridops.realtime.services import publish_event

    started = time.perf_counter()
    publish_event(kind="bench.ping", payload={"n": n}, audiences=[f"user.{pk}" for pk in user_ids])
    return started


async def _listen(base_url, listener, arrivals, ready, connected):
    from websockets.asyncio.client import connect

    url = urlparse(base_url)
    auth = {"Authorization": f"Token {listener['token']}"}
    try:
        async with connect(f"ws://{url.hostname}:{url.port}/ws/events/", origin=base_url, additional_headers=auth,
                           max_queue=None, ping_interval=None, open_timeout=60) as ws:
            await ws.recv()  # hello
            connected.add(listener["id"])
            ready.set()
            async for raw in ws:
                message = json.loads(raw)
                payload = message.get("payload") or {}
                if message.get("kind") == "emergency.declared":
                    arrivals[("e", payload["emergency"]["title"], listener["id"])] = time.perf_counter()
                elif message.get("kind") == "bench.ping":
                    arrivals[("p", payload["n"], listener["id"])] = time.perf_counter()
    finally:
        ready.set()  # a socket that failed to open is left out (counted), it does not stall the bench


async def _wait(arrivals, keys, deadline):
    while time.perf_counter() < deadline and not all(k in arrivals for k in keys):
        await asyncio.sleep(0.002)


async def _run(base_url, listeners, operator) -> dict:
    arrivals, readies, tasks, connected = {}, [], [], set()
    for listener in listeners:
        ready = asyncio.Event()
        readies.append(ready)
        tasks.append(asyncio.create_task(_listen(base_url, listener, arrivals, ready, connected)))
    await asyncio.gather(*(r.wait() for r in readies))
    listeners = [l for l in listeners if l["id"] in connected]
    declare, ping = sync_to_async(_declare, thread_sensitive=False), sync_to_async(_ping, thread_sensitive=False)
    rng = random.Random(42)
    samples, baseline, missing, tasked_counts = [], [], 0, defaultdict(int)
    try:
        for n in range(DECLARATIONS):
            target = rng.choice(listeners)
            started, workers = await declare(operator, target["at"], n)
            listening = [w for w in workers if w in connected]
            keys = [("e", f"压测 {n}", w) for w in listening]
            await _wait(arrivals, keys, time.perf_counter() + TIMEOUT_S)
            samples += [arrivals[k] - started for k in keys if k in arrivals]
            missing += sum(1 for k in keys if k not in arrivals)
            tasked_counts[len(workers)] += 1
            started = await ping(listening, n)
            keys = [("p", n, w) for w in listening]
            await _wait(arrivals, keys, time.perf_counter() + TIMEOUT_S)
            baseline += [arrivals[k] - started for k in keys if k in arrivals]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"sockets_connected": len(listeners), "declaration_to_tablet": percentiles_ms(samples), "baseline_bare_push": percentiles_ms(baseline),
            "lost": missing, "workers_tasked_per_emergency": dict(sorted(tasked_counts.items()))}


def run() -> dict:
    from gridops.emergency.models import Emergency

    before = machine()
    listeners = _listeners()
    operator = get_user_model().objects.get(username="district_op")
    with live_server() as base_url:
        result = asyncio.run(_run(base_url, listeners, operator))
    Emergency.objects.filter(title__startswith="压测").delete()
    return {"sockets": len(listeners), "declarations": DECLARATIONS, "radius_m": RADIUS_M, **result,
            "goal": "declaration_to_tablet p99 < 1000 ms, 0 lost",
            "meets_goal": result["declaration_to_tablet"]["p99_ms"] < 1000 and result["lost"] == 0,
            "machine_before": before, "machine_after": machine()}
