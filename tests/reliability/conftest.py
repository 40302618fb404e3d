"""Private services for the fault tests: a PostgreSQL cluster, a Redis and the app under uvicorn.

The machine's PostgreSQL and Redis are shared with other test runs, so nothing here stops or
reconfigures them: each session starts its own throwaway PostgreSQL 15 cluster (initdb as the
`postgres` user in a temporary directory, on a free port) and its own `redis-server`, migrates
and seeds a database there, and serves GridOps from it with uvicorn in a subprocess. The fault
tests then stop, kill and restart those private processes at will.

Everything is session-scoped (a cluster and a migration cost seconds); a test that kills a
process starts it again before it ends, so the next test finds the stack whole.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DB_NAME = "gridops_reliability"
SETTINGS = "tests.reliability.settings"
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args[0]} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _as_postgres(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse root; run them as the postgres user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, **kwargs)


class PrivatePostgres:
    """A PostgreSQL 15 cluster of our own (trust auth, fsync off: it is thrown away).

    synchronous_commit stays on: a commit is acknowledged only once its WAL is written, so an
    `immediate` stop (a process crash; the OS keeps what was written, fsync or not) loses no
    acknowledged commit, as in production. With it off, the crash test saw 201s whose rows were
    gone after the restart: the test's set-up, not the application, losing writes."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="gridops-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                     "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                     "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash as far as clients can tell: connections drop, no goodbye."""
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = DB_NAME) -> str:
        return f"postgis://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = DB_NAME):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)

    def query(self, sql: str, params=None) -> list[tuple]:
        conn = self.connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            conn.close()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own; `stop()` kills it and `start()` brings up an empty one."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--loglevel", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, 10, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@dataclass
class Stack:
    """The private services and what the seed wrote (tokens of one user per role)."""

    pg: PrivatePostgres
    redis: PrivateRedis
    seed: dict
    server: "AppServer | None" = None
    extra_env: dict = field(default_factory=dict)

    def env(self, **overrides) -> dict:
        env = dict(os.environ, DATABASE_URL=self.pg.url(), REDIS_URL=self.redis.url,
                   DJANGO_SETTINGS_MODULE=SETTINGS, CACHE_PREFIX="reliability", DEBUG="0",
                   PYTHONUNBUFFERED="1", MEDIA_ROOT=str(self.pg.root / "media"))
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def manage(self, *args: str, timeout: float = 300, **env) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout, check=True)

    def run_seed(self, *args: str, timeout: float = 120) -> dict:
        result = subprocess.run([sys.executable, "-m", "tests.reliability.seed", *args], cwd=ROOT,
                                env=self.env(), capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"seed {args} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def token(self, name: str) -> str:
        return self.seed["tokens"][name]


class AppServer:
    """GridOps under uvicorn in a subprocess on the private stack; can be killed and restarted."""

    def __init__(self, stack: Stack, port: int | None = None):
        self.stack = stack
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / f"reliability-uvicorn-{self.port}.log"

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--log-level", "warning"],
            cwd=ROOT, env=self.stack.env(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_port(self.port, timeout, self.process)

    def kill(self) -> None:
        """SIGKILL: no shutdown, sockets drop mid-flight (a crashed or OOM-killed worker)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="session")
def stack():
    """Private PostgreSQL + Redis, a migrated database seeded with the tiny district."""
    pg = PrivatePostgres()
    redis = PrivateRedis()
    try:
        pg.start()
        redis.start()
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", DB_NAME],
                       check=True, capture_output=True)
        services = Stack(pg=pg, redis=redis, seed={})
        services.manage("migrate", "--noinput", "-v", "0")
        services.seed = services.run_seed("world")
        yield services
    finally:
        redis.stop()
        pg.destroy()


@pytest.fixture(scope="session")
def app_server(stack):
    server = AppServer(stack)
    server.start()
    stack.server = server
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live(stack, app_server):
    """The whole stack, checked whole before the test and made whole again after it."""
    yield stack
    if stack.redis.process is None:
        stack.redis.start()
    with contextlib.suppress(psycopg2.OperationalError):
        stack.pg.query("SELECT 1")
    if app_server.process is None or app_server.process.poll() is not None:
        app_server.start()


# --- websocket clients ----------------------------------------------------------------------

class EventListener:
    """An operator's socket as the console keeps it: reconnect with `last_id` whenever it drops.

    Records every event id received, how many connections it took and the hello messages.
    """

    def __init__(self, ws_base: str, token: str, *, origin: str):
        self.ws_base = ws_base
        self.token = token
        self.origin = origin
        self.received: list[int] = []
        # (connection number, event id, arrival epoch, committed_at epoch): latency and per-connection repeats
        self.arrivals: list[tuple[int, int, float, float | None]] = []
        self.kinds: dict[int, str] = {}
        self.hellos: list[dict] = []
        self.connections = 0
        self.refused = 0
        self.close_codes: list[int | None] = []
        self.connected = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def last_id(self) -> int | None:
        if self.received:
            return max(self.received)
        return self.hellos[0]["latest_id"] if self.hellos else None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), 30)

    async def _run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, WebSocketException

        while True:
            last = self.last_id
            query = f"?last_id={last}" if last is not None else ""
            auth = {"Authorization": f"Token {self.token}"}  # the documented header, not `?token=`
            try:
                async with connect(f"{self.ws_base}/ws/events/{query}", origin=self.origin, open_timeout=5,
                                   additional_headers=auth, ping_interval=None, max_queue=None) as ws:
                    async for raw in ws:
                        message = json.loads(raw)
                        if message.get("kind") == "realtime.hello":
                            self.hellos.append(message)
                            self.connections += 1
                            self.connected.set()
                        elif "id" in message:
                            self.received.append(message["id"])
                            self.arrivals.append((self.connections, message["id"], time.time(),
                                                  message.get("committed_at")))
                            self.kinds[message["id"]] = message["kind"]
                    self.close_codes.append(ws.close_code)
            except ConnectionClosed as exc:
                self.close_codes.append(exc.rcvd.code if exc.rcvd else None)
            except (OSError, WebSocketException, asyncio.TimeoutError):
                self.refused += 1
            self.connected.clear()
            await asyncio.sleep(0.2)

    async def wait_for(self, ids, timeout: float = 15) -> bool:
        wanted = set(ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if wanted <= set(self.received):
                return True
            await asyncio.sleep(0.05)
        return False

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@pytest.fixture
async def listeners(app_server):
    """Factory of reconnecting operator sockets, all stopped at the end of the test."""
    made: list[EventListener] = []

    async def make(token: str) -> EventListener:
        listener = EventListener(app_server.ws_url, token, origin=app_server.url)
        await listener.start()
        made.append(listener)
        return listener

    yield make
    for listener in made:
        await listener.stop()
