"""Issue 16's acceptance, provoked for real on the running cluster (deploy/cluster/cluster.sh).

Clients speak real HTTP and websockets to the balancer or to one node directly; hosts are
killed (every process of their network namespace, SIGKILL) or cut off the network (their veth
down). What must hold: a report made on one node reaches an operator on another; a lost node's
sockets reconnect through the balancer to the other node and catch up by event id, nothing lost,
repeated on a connection or misdelivered; a lost PostgreSQL primary is replaced by its
synchronous standby and every report acknowledged before, during and after is stored exactly
once. Figures are recorded in bench/results/cluster.json first; then the issue's two time
limits are asserted (cross-node push p99 under 1 s, writes resumed under 30 s).
"""
from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter

import pytest

from tests.incidents.factories import NZ_POINT, ZM_POINT
from tests.reliability.test_faults import client, created_event_ids, report_body, rows_by_key

from .conftest import PATRONI, latency_summary, record
from .tablets import TabletLog, tablet

TOWN_OF = {"nz_worker": NZ_POINT, "zm_worker": ZM_POINT}


def push_latencies_ms(listener, event_ids) -> list[float]:
    """commit → arrival of each wanted event on this socket (first arrival)."""
    wanted, seen, out = set(event_ids), set(), []
    for _conn, event_id, arrived, committed in listener.arrivals:
        if event_id in wanted and event_id not in seen and committed is not None:
            seen.add(event_id)
            out.append((arrived - committed) * 1000)
    return out


def repeats_within_a_connection(listener) -> list[tuple[int, int]]:
    counts = Counter((conn, event_id) for conn, event_id, _a, _c in listener.arrivals)
    return [pair for pair, n in counts.items() if n > 1]


def check_stored_exactly_once(cluster, prefix: str, log: TabletLog) -> dict[str, int]:
    stored = rows_by_key(cluster, prefix)
    assert not log.refused, log.refused[:5]
    assert set(stored) == set(log.accepted), "every acknowledged report is stored, and nothing else"
    assert set(stored.values()) == {1}, [key for key, n in stored.items() if n > 1]
    return stored


# --- cross-node push -------------------------------------------------------------------------

async def test_a_report_through_node_a_reaches_an_operator_connected_to_node_b(cluster, sockets):
    count = int(os.environ.get("CLUSTER_PUSH_N", "200"))
    app1, app2 = cluster.nodes["app1"], cluster.nodes["app2"]
    on_b = await sockets(cluster.token("district_op"), app2)
    on_a = await sockets(cluster.token("district_op"), app1)  # baseline: the same node, same run
    prefix = f"xnode-{uuid.uuid4().hex[:8]}-"
    ids = []
    async with client(app1, cluster.token("nz_worker")) as http:
        for n in range(count):
            answer = await http.post("/api/v1/incidents/", json=report_body(f"{prefix}{n}"))
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
    events = created_event_ids(cluster, ids)
    assert len(events) == count
    assert await on_b.wait_for(events.values(), timeout=60), sorted(set(events.values()) - set(on_b.received))[:10]
    assert await on_a.wait_for(events.values(), timeout=30)
    assert not repeats_within_a_connection(on_b) and not repeats_within_a_connection(on_a)
    assert on_b.connections == 1 and on_a.connections == 1
    remote = latency_summary(push_latencies_ms(on_b, events.values()))
    local = latency_summary(push_latencies_ms(on_a, events.values()))
    record("cross_node_push", {
        "what": "commit -> arrival of incident.created: report posted to app1, socket on app2 (remote) "
                "and on app1 (same-node baseline), sequential reports",
        "remote": remote, "same_node_baseline": local, "goal_ms": 1000,
        "met": remote["p99_ms"] < 1000, "delivered": f"{remote['n']}/{count}"})
    # the acceptance (within 1 s), checked once the figures are kept so a miss is still on record
    assert remote["p99_ms"] < 1000, remote


# --- an application node lost ----------------------------------------------------------------

@pytest.mark.parametrize("fault", ["kill", "cut"])
async def test_node_lost_while_tablets_report_sockets_move_to_the_other_node_and_miss_nothing(
        cluster, sockets, fault):
    balancer = cluster.balancer
    names = ("district_op", "nanzhuang_op", "zumiao_op")
    # Round robin without stickiness: two sockets per operator land on both nodes.
    operators = {name: [await sockets(cluster.token(name), balancer) for _ in range(2)] for name in names}
    prefix = f"node-{fault}-{uuid.uuid4().hex[:6]}-"
    log = TabletLog()
    stop_at = time.monotonic() + 20
    lost_at = {}

    async def lose_node():
        await asyncio.sleep(5)
        lost_at["t"] = time.time()
        await asyncio.to_thread(cluster.node, fault, "app1")

    try:
        await asyncio.gather(lose_node(), *(
            tablet(balancer, cluster.token(worker), f"{prefix}{worker}-{lane}-", TOWN_OF[worker], stop_at, log)
            for worker in TOWN_OF for lane in range(3)))
    finally:
        await asyncio.to_thread(cluster.node, "join" if fault == "cut" else "start", "app1")

    stored = check_stored_exactly_once(cluster, prefix, log)
    by_worker = {worker: [a.incident_id for k, a in log.accepted.items() if k.startswith(f"{prefix}{worker}")]
                 for worker in TOWN_OF}
    nz = set(created_event_ids(cluster, by_worker["nz_worker"]).values())
    zm = set(created_event_ids(cluster, by_worker["zm_worker"]).values())
    assert len(nz) == len(by_worker["nz_worker"]) and len(zm) == len(by_worker["zm_worker"])
    entitled = {"district_op": nz | zm, "nanzhuang_op": nz, "zumiao_op": zm}
    for name, listeners in operators.items():
        for listener in listeners:
            assert await listener.wait_for(entitled[name], timeout=90), (name, len(entitled[name] - set(listener.received)))
            assert not repeats_within_a_connection(listener), name
            assert not (set(listener.received) & ((nz | zm) - entitled[name])), f"{name} heard another town"
    moved = [listener.connections for group in operators.values() for listener in group]
    assert max(moved) >= 2, "no socket was on the lost node"
    accepted_after = sum(1 for a in log.accepted.values() if a.sent > lost_at["t"])
    assert accepted_after > 0
    record(f"node_{fault}", {
        "what": f"app1 {'SIGKILLed (whole namespace)' if fault == 'kill' else 'cut off the network (veth down)'} "
                "5 s into 20 s of reports from 6 tablets through HAProxy; 6 operator sockets through HAProxy",
        "acknowledged": len(log.accepted), "stored": len(stored), "accepted_after_loss": accepted_after,
        "codes": log.codes, "transport_errors": log.transport_errors,
        "socket_connections": moved, "events_entitled_district": len(nz | zm)})


# --- the PostgreSQL primary lost ---------------------------------------------------------------

def patroni(host: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://{PATRONI[host]}/{path}", timeout=2) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}
    except OSError:
        return 0, {}


def leader_and_standby() -> tuple[str, str]:
    members = next(body for host in PATRONI if (body := patroni(host, "cluster")[1]))["members"]
    roles = {member["name"]: member["role"] for member in members}
    leader = next(name for name, role in roles.items() if role == "leader")
    standby = next(name for name, role in roles.items() if role == "sync_standby")
    return leader, standby


@pytest.mark.parametrize("fault", ["kill", "cut"])
async def test_primary_lost_standby_promoted_and_every_acknowledged_report_stored_once(cluster, fault):
    """`kill`: the primary's host dies (Patroni and PostgreSQL SIGKILLed). `cut`: it is cut off the
    network while running; its commits then wait for the synchronous standby that cannot answer,
    so no client is told of a write that the promoted standby lacks; when it rejoins, pg_rewind
    drops what it wrote alone."""
    leader, standby = leader_and_standby()
    balancer = cluster.balancer
    prefix = f"pgfail-{uuid.uuid4().hex[:6]}-"
    log = TabletLog()
    seconds = float(os.environ.get("CLUSTER_FAILOVER_SECONDS", "45"))
    stop_at = time.monotonic() + seconds
    marks = {}

    async def kill_primary():
        await asyncio.sleep(5)
        marks["killed"] = time.time()
        await asyncio.to_thread(cluster.node, fault, leader)
        while patroni(standby, "primary")[0] != 200:
            await asyncio.sleep(0.2)
        marks["promoted"] = time.time()

    try:
        await asyncio.gather(kill_primary(), *(
            tablet(balancer, cluster.token(worker), f"{prefix}{worker}-{lane}-", TOWN_OF[worker], stop_at, log)
            for worker in TOWN_OF for lane in range(4)))
    finally:
        # back as a replica of the new leader (pg_rewind)
        await asyncio.to_thread(cluster.node, "join" if fault == "cut" else "start", leader)

    stored = check_stored_exactly_once(cluster, prefix, log)
    killed = marks["killed"]
    before = [a for a in log.accepted.values() if a.answered < killed]
    after_kill = [a for a in log.accepted.values() if a.sent >= killed]
    assert before and after_kill, "writes resumed after the primary was lost"
    resumed = min(a.answered for a in after_kill)
    during = [a for a in log.accepted.values() if a.answered >= killed and a.first_sent < resumed]
    after = [a for a in log.accepted.values() if a.first_sent >= resumed]
    status, _ = patroni(standby, "primary")
    assert status == 200, "the standby leads"
    how = "host SIGKILLed (Patroni + PostgreSQL)" if fault == "kill" else "cut off the network (veth down)"
    record(f"postgres_failover_{fault}", {
        "what": f"{leader} (primary) {how} 5 s into {seconds:.0f} s of reports "
                f"from 8 tablets through HAProxy; {standby} was the synchronous standby",
        "promoted_after_s": round(marks["promoted"] - killed, 2),
        "writes_resumed_after_s": round(resumed - killed, 2), "goal_s": 30,
        "met": resumed - killed < 30,
        "acknowledged": {"before": len(before), "during": len(during), "after": len(after),
                         "total": len(log.accepted)},
        "stored": len(stored), "stored_twice": sum(1 for n in stored.values() if n > 1),
        "retried_keys": sum(1 for a in log.accepted.values() if a.attempts > 1),
        "answered_200_replay": sum(1 for a in log.accepted.values() if a.status == 200),
        "codes": log.codes, "transport_errors": log.transport_errors})
    # the acceptance (writes resume within 30 s), checked once the figures are kept
    assert resumed - killed < 30, f"writes resumed {resumed - killed:.1f} s after the primary was lost"
