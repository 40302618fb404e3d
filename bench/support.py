"""Shared bench tools: a live ASGI server on loopback, timing and percentiles."""
from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict:
    """What the figures were taken on: cores and load average (other work on the machine)."""
    load1, load5, load15 = os.getloadavg()
    return {"cpus": os.cpu_count(), "loadavg_1_5_15": [round(load1, 2), round(load5, 2), round(load15, 2)]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def live_server(workers: int = 1, upkeep=None):
    """uvicorn serving GridOps on loopback, on the bench database; yields its base URL. The port
    is `BENCH_PORT` when set (several people benching on one machine each keep their own), else
    a free one. The database is kept as autovacuum keeps it while the server runs, where the
    machine has autovacuum off (`bench.maintenance`); pass a `Maintenance` as `upkeep` to record
    what that took."""
    from bench.maintenance import autovacuum_as_configured

    with autovacuum_as_configured(upkeep):
        with _uvicorn(workers) as base_url:
            yield base_url


@contextlib.contextmanager
def _uvicorn(workers: int):
    port = int(os.environ.get("BENCH_PORT") or 0) or free_port()
    env = dict(os.environ, DEBUG="0", LOG_LEVEL="ERROR")
    # Measurements count the live path only: the per-process table re-read stays off.
    env.setdefault("GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS", "0")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        # Starting takes 20-40 s when the shared machine's load is 10+ (imports, then the URLconf).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("bench server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentiles_ms(samples_s: list[float]) -> dict:
    """p50/p95/p99/mean in milliseconds of a list of durations in seconds."""
    ordered = sorted(samples_s)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "p50_ms": round(pick(0.50), 3),
        "p95_ms": round(pick(0.95), 3),
        "p99_ms": round(pick(0.99), 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def timed(func, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - started, result
