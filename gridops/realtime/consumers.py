"""The one websocket every page uses: `/ws/events/?last_id=N` (protocol: docs/websocket.md).

Who the user is (session cookie or API token, Origin rules, close codes) is settled before the
consumer runs, by `ws_auth.WebsocketAuthGate`; the consumer only sees `scope["user"]`.

connect() decides who may listen and to what (audiences from the profile), registers the socket
with the process's hub (`hub.py`: one stream subscription per process, local delivery by
audience) and only then replays what the client missed from the event table, so nothing falls
between the two; live events already replayed are dropped by id. After that the socket never
reads the database: the hub hands it events, or closes it when its session is revoked.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import deque
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError
from redis.exceptions import RedisError

from . import conf
from .hub import get_hub
from .selectors import audiences_of, events_since, latest_event_id
from .ws_auth import SERVER_SEND

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TRY_AGAIN = 1013
SEEN_MEMORY = 20000
_CLOSE = object()  # queue marker: close after what is queued before it


@database_sync_to_async
def _audiences(user) -> list[str]:
    return audiences_of(user)


@database_sync_to_async
def _catch_up(audiences: list[str], last_id: int | None):
    if last_id is None:
        return [], False, latest_event_id()
    events, truncated = events_since(audiences=audiences, last_id=last_id)
    return events, truncated, latest_event_id()


def _wants_batches(query: dict) -> bool:
    """`?batch=1`: the client reads a JSON array of events as several events (docs/websocket.md)."""
    return (query.get("batch") or [""])[0] in ("1", "true")


def _last_id(query: dict) -> int | None:
    values = query.get("last_id")
    if not values:
        return None
    try:
        return max(0, int(values[0]))
    except ValueError:
        return None


def credential_of(scope) -> str:
    """What the socket was opened with, for revocation: a hash of its session key (a logout
    closes that browser's sockets only), or "token" (a user holds one API token)."""
    if scope.get("token_auth"):  # set by ws_auth.WebsocketAuthGate: a token opened it, not the cookie
        return "token"
    session = scope.get("session")
    key = getattr(session, "session_key", None)
    return session_credential(key) if key else "token"


def session_credential(session_key: str) -> str:
    return "session:" + hashlib.sha256(session_key.encode()).hexdigest()[:32]


class EventsConsumer(AsyncJsonWebsocketConsumer):
    # No Channels layer: the hub (one stream reader per process) feeds the socket, so no
    # per-socket blocking read on Redis exists to time out.
    channel_layer_alias = "gridops.realtime.hub"

    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.credential = credential_of(self.scope)
        self.audiences = await _audiences(user)
        self._batch = _wants_batches(query)
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=conf.socket_queue_size())
        self._hub = get_hub()
        try:
            await self._hub.attach(self)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            logger.warning("realtime: event stream unavailable (%s); client retries later", exc)
            self._hub.detach(self)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        await self.accept()
        # Event frames skip the layers that only pass a `websocket.send` on (ws_auth.KeepServerSend);
        # a stack without it (a test's communicator) sends through the consumer.
        server_send = self.scope.get(SERVER_SEND)
        self._send_frame = self._via_consumer if server_send is None else (
            lambda text: server_send({"type": "websocket.send", "text": text}))
        try:
            events, truncated, latest = await _catch_up(self.audiences, _last_id(query))
        except DatabaseError as exc:
            logger.warning("realtime: catch-up failed (%s); client retries later", exc)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        await self.send_json({"kind": "realtime.hello", "audiences": self.audiences, "latest_id": latest,
                              "replayed": len(events), "reset": truncated, "batch": self._batch})
        step = conf.batch_size() if self._batch else 1
        for start in range(0, len(events), step):
            await self._forward(events[start:start + step])
        self._sender = asyncio.create_task(self._send_queued())

    # --- called by the hub (never blocks) -------------------------------------------------------
    def offer(self, event: dict) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # A client that cannot keep up reconnects and catches up by id instead of holding
            # an ever-growing backlog in the server.
            self.revoke(CLOSE_TRY_AGAIN, "too slow")

    def revoke(self, code: int, reason: str) -> None:
        self._closing = (code, reason)
        self._hub.detach(self)
        with_room = self._queue.qsize() < self._queue.maxsize
        if with_room:
            self._queue.put_nowait(_CLOSE)
        else:
            asyncio.get_running_loop().create_task(self.close(code=code, reason=reason))

    async def _send_queued(self) -> None:
        """Send what the hub queued, in order. A batching socket takes everything already queued
        (up to `batch_size`) into one frame: under load the hub queues several events per read,
        and one frame costs the server and the client one send and one parse instead of many."""
        limit = conf.batch_size() if self._batch else 1
        while True:
            items = [await self._queue.get()]
            while len(items) < limit and items[-1] is not _CLOSE and not self._queue.empty():
                items.append(self._queue.get_nowait())
            closing = items[-1] is _CLOSE
            if closing:
                items.pop()
            try:
                await self._forward(items)
            except OSError:
                return  # the client left; disconnect() cleans up
            if closing:
                code, reason = self._closing
                await self.close(code=code, reason=reason)
                return

    # --- socket life ---------------------------------------------------------------------------
    async def disconnect(self, code):
        hub = getattr(self, "_hub", None)
        if hub is not None:
            hub.detach(self)
        sender = getattr(self, "_sender", None)
        if sender is not None:
            sender.cancel()

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"kind": "realtime.pong", "t": content.get("t")})

    async def _forward(self, events: list[dict]) -> None:
        """Send the events this connection has not sent yet: one frame each, or (batching) one
        frame for all of them, a JSON array when there are several."""
        texts = [wire_text(event) for event in events if self._first_time(event["id"])]
        if self._batch and len(texts) > 1:
            texts = ["[" + ",".join(texts) + "]"]
        for text in texts:
            await self._send_frame(text)

    async def _via_consumer(self, text: str) -> None:
        await self.send(text_data=text)

    def _first_time(self, event_id: int) -> bool:
        if event_id in self._seen:
            return False
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > SEEN_MEMORY:
            self._seen.discard(self._seen_order.popleft())
        return True


WIRE = "_wire"  # where an event dict keeps its encoded message


def wire_text(event: dict) -> str:
    """The message a socket sends for `event`, encoded once: the hub hands the same dict to every
    socket that holds one of its audiences (50 operators in the load test), so the JSON is built
    once per event rather than once per socket."""
    text = event.get(WIRE)
    if text is None:
        message = {"id": event["id"], "kind": event["kind"], "payload": event["payload"]}
        if "committed_at" in event:  # live pushes: when the change committed (epoch seconds)
            message["committed_at"] = event["committed_at"]
        text = event[WIRE] = json.dumps(message)
    return text
