"""The event stream that every ASGI process (on every node) reads: a Redis Stream.

A committed event is appended once (`XADD`, after commit); each process holds ONE blocking
`XREAD` on the stream and hands the event to its own sockets by audience (`hub.py`). The event
table stays the log of record: it is what reconnecting clients catch up from, and what a process
reads when the stream skipped something (a failed `XADD`, a Redis restart).

Why a Redis Stream (docs/live-core.md argues it in full): Redis is already the one service every
node shares, so no new daemon or client library; `XREAD` from the last entry id gives each process
loss-free, ordered reading with no per-socket state in Redis; the stream is capped (`MAXLEN ~`) and
the table holds the history. NATS JetStream would add a service and a client for the same
guarantees; PostgreSQL LISTEN/NOTIFY would take a global lock at every notifying commit, does not
pass through pgbouncer's transaction pooling and drops messages while a listener reconnects.

Control messages (close the sockets of a session that logged out, a revoked token, a user whose
role or zone changed) travel on the same stream so every node applies them, in order with events.
"""
from __future__ import annotations

import json
import logging
import queue
import threading

import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from redis.exceptions import RedisError

from . import conf

logger = logging.getLogger(__name__)

EVENT_FIELD = "e"
CONTROL_FIELD = "c"


def stream_key(namespace: str | None = None) -> str:
    """The stream of this environment (`<REDIS_NAMESPACE>:events`): tests, benches and the demo
    each have their own, so one never pushes into another."""
    return f"{namespace or settings.REDIS_NAMESPACE}:events"


def event_entry(event, committed_at: float | None = None) -> dict:
    """The stream entry of an event; `committed_at` (epoch seconds, taken after commit) travels to
    the client so push latency can be measured commit -> arrival."""
    body = {"id": event.id, "kind": event.kind, "payload": event.payload, "audiences": list(event.audiences)}
    if committed_at is not None:
        body["committed_at"] = committed_at
    return {EVENT_FIELD: json.dumps(body, cls=DjangoJSONEncoder)}


def control_entry(**fields) -> dict:
    return {CONTROL_FIELD: json.dumps(fields)}


def decode(fields: dict) -> tuple[str, dict] | None:
    """(EVENT_FIELD | CONTROL_FIELD, body) of one stream entry; None for an entry we do not know."""
    for name in (EVENT_FIELD, CONTROL_FIELD):
        raw = fields.get(name.encode()) or fields.get(name)
        if raw is not None:
            return name, json.loads(raw)
    return None


_client_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}


def client() -> redis.Redis:
    """One connection pool per process for appending (short timeouts: a stuck Redis must not
    hold a request; the event is in the table either way)."""
    url = settings.REDIS_URL
    with _client_lock:
        if url not in _clients:
            timeout = conf.send_timeout_seconds()
            _clients[url] = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return _clients[url]


def append(entries: list[dict], *, key: str | None = None) -> None:
    """XADD the entries in one round trip, in order; raises RedisError/OSError."""
    key = key or stream_key()
    pipe = client().pipeline(transaction=False)
    for fields in entries:
        pipe.xadd(key, fields, maxlen=conf.stream_maxlen(), approximate=True)
    pipe.execute()


class _Appender:
    """A daemon thread that appends what request threads hand it, batching a burst into one
    pipeline. Requests never wait on Redis; an entry lost with the process (or to a Redis outage)
    is still in the table, where the processes' gap check and reconnecting clients find it."""

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, fields: dict, key: str) -> None:
        self._ensure_thread()
        self._queue.put((key, fields))

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="realtime-append", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < 500:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            by_key: dict[str, list[dict]] = {}
            for key, fields in batch:
                by_key.setdefault(key, []).append(fields)
            for key, entries in by_key.items():
                try:
                    append(entries, key=key)
                except (RedisError, OSError) as exc:
                    logger.warning("realtime: %d stream entries not appended (%s); readers recover "
                                   "them from the event table", len(entries), exc)


_appender = _Appender()


def submit(fields: dict) -> None:
    """After commit: append in the background, or inline (GRIDOPS_REALTIME_PUSH_INLINE, tests)."""
    if conf.push_inline():
        try:
            append([fields])
        except (RedisError, OSError) as exc:
            logger.warning("realtime: stream entry not appended (%s)", exc)
    else:
        _appender.submit(fields, stream_key())
