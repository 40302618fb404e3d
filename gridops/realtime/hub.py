"""Per-process fan-out: one reader of the event stream per ASGI process, local delivery by audience.

Every socket of the process registers here with its audiences; the hub's single `XREAD` loop
hands each event to the sockets that hold one of the event's audiences (a dict lookup per
audience), and applies control messages (close a revoked session's sockets). Nothing per socket
lives in Redis and no socket reads the database after its connect-time catch-up.

Order and completeness: appends come from many processes after their commits, so the stream
carries events in commit order, which is not always id order (ids are taken at insert). The
sequencer releases events in id order; a missing id is awaited for `reorder_wait` seconds, then
looked up in the event table once for the whole process (a late commit, an append lost to a
Redis hiccup) or given up as rolled back. An event that turns up after its id was passed is still
delivered (late, never lost); sockets drop ids they already sent, so each arrives once.
"""
from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import os
import time
import weakref
from collections import defaultdict, deque
from typing import Protocol

import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from . import committed, conf
from .stream import CONTROL_FIELD, EVENT_FIELD, decode, stream_key

logger = logging.getLogger(__name__)


class Listener(Protocol):
    audiences: list[str]
    user_id: int
    credential: str

    def offer(self, event: dict) -> None: ...

    def revoke(self, code: int, reason: str) -> None: ...


@database_sync_to_async
def _events_by_id(ids: list[int]) -> list[dict]:
    from .models import Event

    return list(Event.objects.filter(pk__in=ids).order_by("id").values("id", "kind", "payload", "audiences"))


@database_sync_to_async
def _recent_events(seconds: float, from_id: int | None) -> list[dict]:
    """Events from `from_id` on (everything the hub has not released yet, however long the
    stream was away), plus the last `seconds` (late commits below it)."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from .models import Event

    since = Q(created_at__gte=timezone.now() - timedelta(seconds=seconds))
    if from_id is not None:
        since |= Q(id__gte=from_id)
    return list(Event.objects.filter(since).order_by("id").values("id", "kind", "payload", "audiences")[:10_000])


class Sequencer:
    """Releases events in id order, waiting briefly for a missing id (see the module docstring)."""

    def __init__(self, release, *, fetch=_events_by_id):
        self._release = release
        self._fetch = fetch
        self._next: int | None = None
        # (id, arrival number, event): the number breaks ties, so the same id held twice (from the
        # stream and from the gap's table read) never makes heapq compare the dicts.
        self._pending: list[tuple[int, int, dict]] = []
        self._arrivals = itertools.count()
        self._gap_task: asyncio.Task | None = None
        self.late = 0
        self.gaps_filled = 0

    @property
    def next_id(self) -> int | None:
        return self._next

    def push(self, event: dict) -> None:
        event_id = event["id"]
        if self._next is None:
            self._next = event_id
        if event_id < self._next:
            self.late += 1
            self._release(event)
            return
        heapq.heappush(self._pending, (event_id, next(self._arrivals), event))
        self._flush()

    def _flush(self) -> None:
        while self._pending and self._pending[0][0] <= self._next:
            event_id, _, event = heapq.heappop(self._pending)
            if event_id == self._next:  # a second copy of an id already released is dropped
                self._next += 1
                self._release(event)
        if self._pending and self._gap_task is None:
            self._gap_task = asyncio.get_running_loop().create_task(self._close_gap())

    async def _close_gap(self) -> None:
        try:
            await asyncio.sleep(conf.reorder_wait_seconds())
            if not self._pending:
                return
            missing = list(range(self._next, self._pending[0][0])[:1000])
            try:
                found = await self._fetch(missing)
            except DatabaseError as exc:
                logger.warning("realtime: gap %s.. not looked up (%s)", missing[0], exc)
                found = []
            # The stream may have brought some of them, or everything, while the table was read.
            found = [event for event in found if event["id"] >= self._next]
            self.gaps_filled += len(found)
            for event in found:
                heapq.heappush(self._pending, (event["id"], next(self._arrivals), event))
            if self._pending:
                self._next = max(self._next, self._pending[0][0])
        finally:
            self._gap_task = None
        self._flush()


class Hub:
    """The process's one subscription; `attach` a socket after connect, `detach` on disconnect."""

    def __init__(self, key: str | None = None):
        self.key = key or stream_key()
        self._by_audience: dict[str, set[Listener]] = defaultdict(set)
        self._task: asyncio.Task | None = None
        self._ready: asyncio.Event | None = None
        self._sequencer = Sequencer(self._deliver)
        self._recent: deque[int] = deque(maxlen=20_000)
        self._recent_set: set[int] = set()
        self.delivered = 0

    # --- registry ---------------------------------------------------------------------------
    async def attach(self, listener: Listener) -> None:
        """Register, then wait until the reader's position is fixed, so an event committed after
        this returns reaches the listener live (the caller's catch-up covers the time before)."""
        self.register(listener)
        self._start()
        await asyncio.wait_for(self._ready.wait(), timeout=conf.send_timeout_seconds() * 3)

    def register(self, listener: Listener) -> None:
        for name in listener.audiences:
            self._by_audience[name].add(listener)

    def detach(self, listener: Listener) -> None:
        for name in listener.audiences:
            members = self._by_audience.get(name)
            if members is not None:
                members.discard(listener)
                if not members:
                    del self._by_audience[name]

    def listeners(self) -> set[Listener]:
        return set().union(*self._by_audience.values()) if self._by_audience else set()

    # --- reading ----------------------------------------------------------------------------
    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._read_forever())

    async def _read_forever(self) -> None:
        block_ms = int(conf.stream_block_seconds() * 1000)
        client = aioredis.Redis.from_url(settings.REDIS_URL, socket_timeout=conf.stream_block_seconds() + 10,
                                         socket_connect_timeout=conf.send_timeout_seconds(),
                                         client_name=f"{self.key}:hub:{os.getpid()}")
        last = None
        fallback = conf.fallback_poll_seconds()
        coalesce = conf.coalesce_seconds()
        polled = time.monotonic()
        failed = False
        try:
            while True:
                try:
                    if last is None:
                        newest = await client.xrevrange(self.key, count=1)
                        last = newest[0][0] if newest else b"0-0"
                        self._ready.set()
                    if failed:  # the stream may have lost appends while we could not read
                        failed = False
                        await self._recover(conf.catchup_grace_seconds() + 60)
                    response = await client.xread({self.key: last}, block=block_ms, count=1000)
                except (RedisError, OSError) as exc:
                    if not failed:
                        logger.warning("realtime: event stream unreadable (%s); serving from the table "
                                       "until it returns", exc)
                    failed = True
                    await asyncio.sleep(1.0)
                    # Redis is away: the sockets stay open and get events from the table, one read a
                    # second for the whole process, until the stream answers again.
                    if last is not None:
                        await self._recover(conf.catchup_grace_seconds())
                    continue
                brought = 0
                for _stream, entries in response or ():
                    brought += len(entries)
                    for entry_id, fields in entries:
                        last = entry_id
                        self._handle(fields)
                if brought > 1 and coalesce:
                    # Busy (several commits since the last read): let the next ones gather, so
                    # batching sockets get them in one frame. A lone event never waits.
                    await asyncio.sleep(coalesce)
                if fallback > 0 and time.monotonic() - polled >= fallback:
                    polled = time.monotonic()
                    await self._recover(fallback + conf.catchup_grace_seconds())
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    def _handle(self, fields: dict) -> None:
        try:
            decoded = decode(fields)
        except ValueError:
            logger.warning("realtime: unreadable stream entry skipped")
            return
        if decoded is None:
            return
        kind, body = decoded
        if kind == EVENT_FIELD:
            self._sequencer.push(body)
        elif kind == CONTROL_FIELD:
            self._control(body)

    async def _recover(self, seconds: float) -> None:
        """Safety net (after a stream outage, and the optional periodic fallback): one table read
        for the whole process, delivering what the stream did not bring."""
        try:
            events = await _recent_events(seconds, self._sequencer.next_id)
        except DatabaseError as exc:
            logger.warning("realtime: recovery read failed (%s)", exc)
            return
        for event in events:
            if event["id"] not in self._recent_set:
                self._sequencer.push(event)

    # --- delivery ---------------------------------------------------------------------------
    def _deliver(self, event: dict) -> None:
        if event["id"] in self._recent_set:
            return
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(event["id"])
        self._recent_set.add(event["id"])
        committed.heard(event.get("kind") or "")
        for listener in self.route(event):
            listener.offer(event)
        self.delivered += 1

    def route(self, event: dict) -> set[Listener]:
        """The registered listeners holding one of the event's audiences."""
        targets: set[Listener] = set()
        for name in event.get("audiences") or ():
            members = self._by_audience.get(name)
            if members:
                targets |= members
        return targets

    def _control(self, body: dict) -> None:
        """`{"op": "revoke", "user": id, "credential": hash|None, "code": int, "reason": str}`:
        close that user's sockets (only those opened with that credential, when one is named)."""
        if body.get("op") != "revoke":
            return
        members = self._by_audience.get(f"user.{body.get('user')}", set())
        for listener in list(members):
            if body.get("credential") in (None, listener.credential):
                listener.revoke(int(body.get("code") or 4401), str(body.get("reason") or "revoked"))


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """The hub of the running event loop (one per ASGI process; each test loop has its own)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.key != stream_key():
        hub = _hubs[loop] = Hub()
    return hub
