"""The one websocket every page uses: `/ws/events/?last_id=N` (protocol: docs/websocket.md).

Who the user is (session cookie or API token, Origin rules, close codes) is settled before the
consumer runs, by `ws_auth.WebsocketAuthGate`; the consumer only sees `scope["user"]`.

connect() decides who may listen and to what (audiences from the profile), joins those groups
first and only then replays what the client missed, so nothing falls between the two; live
messages already replayed are dropped by id.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError
from redis.exceptions import RedisError

from . import audiences as aud
from . import conf
from .selectors import audiences_of, events_since, latest_event_id

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TRY_AGAIN = 1013
SEEN_MEMORY = 20000


@database_sync_to_async
def _audiences(user) -> list[str]:
    return audiences_of(user)


@database_sync_to_async
def _catch_up(audiences: list[str], last_id: int | None):
    if last_id is None:
        return [], False, latest_event_id()
    events, truncated = events_since(audiences=audiences, last_id=last_id)
    return events, truncated, latest_event_id()


def _last_id(query: dict) -> int | None:
    values = query.get("last_id")
    if not values:
        return None
    try:
        return max(0, int(values[0]))
    except ValueError:
        return None


class EventsConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        """A lost Redis ends the live channel: close with 1013 (try again) instead of crashing.

        Redis holds the group memberships, so a socket that outlived a Redis restart would stay
        open and hear nothing; closing it makes the client reconnect with `last_id`, rejoin its
        groups and replay what it missed from the event table.
        """
        try:
            await super().__call__(scope, receive, send)
        except RedisError as exc:
            logger.warning("realtime: live channel lost (%s); closing so the client reconnects", exc)
            with contextlib.suppress(RuntimeError, OSError):  # the socket may already be gone
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})

    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.audiences = await _audiences(user)
        self.joined: list[str] = []
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        try:
            for name in self.audiences:
                group = aud.group_name(name)
                await self.channel_layer.group_add(group, self.channel_name)
                self.joined.append(group)
        except (RedisError, OSError) as exc:
            logger.warning("realtime: cannot join groups (%s); client retries later", exc)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        await self.accept()
        events, truncated, latest = await _catch_up(self.audiences, _last_id(query))
        await self.send_json({"kind": "realtime.hello", "audiences": self.audiences, "latest_id": latest,
                              "replayed": len(events), "reset": truncated})
        for event in events:
            await self._forward(event)
        self._cursor = latest
        if conf.resync_seconds() > 0:
            self._resync_task = asyncio.create_task(self._resync())

    async def _resync(self) -> None:
        """The safety net under the live channel: forward events the table has and we did not
        send (de-duplicated by id); the grace window of `events_since` covers late commits."""
        while True:
            await asyncio.sleep(conf.resync_seconds())
            try:
                events, truncated, latest = await _catch_up(self.audiences, self._cursor)
            except DatabaseError as exc:
                logger.warning("realtime: resync skipped (%s)", exc)
                continue
            try:
                for event in events:
                    await self._forward(event)
            except OSError:
                return  # the client left; disconnect() cleans up
            self._cursor = events[-1]["id"] if truncated else latest

    async def disconnect(self, code):
        task = getattr(self, "_resync_task", None)
        if task is not None:
            task.cancel()
        for group in getattr(self, "joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except (RedisError, OSError):
                break  # Redis is gone; group membership expires with it.

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"kind": "realtime.pong", "t": content.get("t")})

    async def event_message(self, message):
        """Handler for group messages of type `event.message`."""
        await self._forward(message)

    async def _forward(self, event) -> None:
        event_id = event["id"]
        if event_id in self._seen:
            return
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > SEEN_MEMORY:
            self._seen.discard(self._seen_order.popleft())
        await self.send_json({"id": event_id, "kind": event["kind"], "payload": event["payload"]})
