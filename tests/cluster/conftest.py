"""The multi-node cluster of `make cluster` (deploy/cluster/cluster.sh), as the tests see it.

These tests need the cluster up and root (they kill and cut hosts off the network), so they are
collected only when GRIDOPS_CLUSTER=1: `make test-cluster` brings the cluster up, sets it, runs
them and tears the cluster down; `make test` does not collect them.

The tiny district of the reliability tests (`tests.reliability.seed world`) is written into the
cluster's database once; its tokens are kept beside the cluster's state so a second run against
the same cluster reuses them. Figures are appended to bench/results/cluster.json.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from tests.reliability.conftest import EventListener

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "cluster" / "cluster.sh"
STATE = Path(os.environ.get("GRIDOPS_CLUSTER_DIR", "/var/tmp/gridops-cluster"))
RESULTS = ROOT / "bench" / "results" / "cluster.json"
BALANCER = "127.0.0.1:28000"
NODES = {"app1": "10.216.66.21:28101", "app2": "10.216.66.22:28102"}
PATRONI = {"pg1": "10.216.66.11:28008", "pg2": "10.216.66.12:28009"}

if os.environ.get("GRIDOPS_CLUSTER") != "1":
    collect_ignore_glob = ["test_*.py"]


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@dataclass
class Endpoint:
    """One way in: the balancer or a node directly (what AppServer offers the reliability helpers)."""

    host: str

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}"


class WritePort:
    """SQL through the balancer's write port: whichever PostgreSQL leads now."""

    def __init__(self, secrets: dict[str, str]):
        self.password = secrets["PG_SUPERUSER_PASSWORD"]

    def query(self, sql: str, params=None) -> list[tuple]:
        with contextlib.closing(psycopg2.connect(host="127.0.0.1", port=25000, user="postgres", dbname="gridops",
                                                 password=self.password, connect_timeout=5)) as conn:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()


class Cluster:
    """The running cluster: endpoints, tokens, SQL, and the script's fault actions."""

    def __init__(self):
        self.env = read_env(STATE / "app.env")
        self.pg = WritePort(read_env(STATE / "secrets.env"))
        self.balancer = Endpoint(BALANCER)
        self.nodes = {name: Endpoint(host) for name, host in NODES.items()}
        self.seed = self._seed()

    def _seed(self) -> dict:
        path = STATE / "seed.json"
        if not path.exists():
            source = Path((STATE / "src.path").read_text().strip())
            result = subprocess.run([sys.executable, "-m", "tests.reliability.seed", "world"], cwd=source,
                                    env={**os.environ, **self.env}, capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise RuntimeError(f"seeding the cluster failed:\n{result.stderr[-3000:]}")
            path.write_text(result.stdout.strip().splitlines()[-1])
        return json.loads(path.read_text())

    def token(self, name: str) -> str:
        return self.seed["tokens"][name]

    def node(self, action: str, host: str) -> None:
        self._script("node", action, host)

    def wait_whole(self) -> None:
        """A PostgreSQL leads and the balancer sends to both application nodes."""
        self._script("wait")

    def _script(self, *args: str) -> None:
        subprocess.run(["bash", str(SCRIPT), *args], check=True, capture_output=True, timeout=240)


def record(name: str, figures: dict) -> None:
    """Keep the latest figures of each test, with the machine's load (shared 2 cores)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = {**figures, "loadavg": os.getloadavg(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency_summary(values_ms: list[float]) -> dict:
    return {"n": len(values_ms), "p50_ms": round(percentile(values_ms, 0.5), 1),
            "p99_ms": round(percentile(values_ms, 0.99), 1), "max_ms": round(max(values_ms), 1)}


@pytest.fixture
def cluster() -> Cluster:
    """The cluster, whole when the test starts (a previous test may have just restored a host)."""
    running = Cluster()
    running.wait_whole()
    return running


@pytest.fixture
async def sockets():
    """Factory of reconnecting operator sockets on an endpoint, all stopped at the end of the test."""
    async with contextlib.AsyncExitStack() as opened:
        async def make(token: str, endpoint: Endpoint) -> EventListener:
            listener = EventListener(endpoint.ws_url, token, origin=endpoint.url)
            await listener.start()
            opened.push_async_callback(listener.stop)
            return listener

        yield make
