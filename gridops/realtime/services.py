"""Writes of the realtime app: recording an event and pushing it after commit.

The event row is written inside the caller's transaction, so a rolled-back change is never
recorded nor broadcast; the push runs in `transaction.on_commit`. Redis is only the live channel:
if it is down the write still succeeds and clients recover the event by id on reconnect.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterable
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from . import audiences as aud
from . import conf
from .models import Event

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "event.message"


def _plain(payload: dict) -> dict:
    """Datetimes, decimals and UUIDs as JSON text, so the DB row and the msgpack push agree."""
    if not isinstance(payload, dict):
        from gridops.core.errors import InvalidInput

        raise InvalidInput("payload must be an object", field="payload")
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def event_message(event: Event) -> dict:
    """The Channels message for an event (the consumer forwards id, kind and payload)."""
    return {"type": MESSAGE_TYPE, "id": event.id, "kind": event.kind, "payload": event.payload}


def _groups(event: Event) -> list[str]:
    return [aud.group_name(name) for name in event.audiences]


async def _send_groups(message: dict, groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await asyncio.wait_for(
        asyncio.gather(*(layer.group_send(group, message) for group in groups)),
        timeout=conf.send_timeout_seconds(),
    )


def push_event(event: Event) -> bool:
    """Send one recorded event to its audiences' groups; False (logged) when Redis is unreachable."""
    try:
        async_to_sync(_send_groups)(event_message(event), _groups(event))
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        # The row is committed: clients catch up by id when the live channel returns.
        logger.warning("realtime push of event %s (%s) failed: %s", event.id, event.kind, exc)
        return False
    return True


class _PushLoop:
    """One long-lived event loop in a daemon thread that sends after-commit pushes.

    Request threads hand the push over and return: they never wait on Redis, and the channel
    layer keeps its Redis connections on this one loop instead of opening a new loop (and new
    connections) per push as `async_to_sync` from a plain thread does. A push lost with the
    process is recovered by clients through catch-up by event id.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="realtime-push", daemon=True)
                self._thread.start()
            return self._loop

    def submit(self, event: Event) -> "asyncio.Future":
        future = asyncio.run_coroutine_threadsafe(
            _send_groups(event_message(event), _groups(event)), self._running_loop())
        future.add_done_callback(lambda done: _log_failed_push(event, done))
        return future


def _log_failed_push(event: Event, done) -> None:
    exc = done.exception() if not done.cancelled() else None
    if exc is not None:
        logger.warning("realtime push of event %s (%s) failed: %s", event.id, event.kind, exc)


_push_loop = _PushLoop()


def schedule_push(event: Event) -> None:
    """After commit: push in the background (default) or inline (GRIDOPS_REALTIME_PUSH_INLINE)."""
    if conf.push_inline():
        push_event(event)
    else:
        _push_loop.submit(event)


def publish_event(*, kind: str, payload: dict, audiences: Iterable[str], restricted: bool = False) -> Event:
    """Record an event in the current transaction and push it to its audiences after commit.

    The district command centre sees every event unless `restricted` (personal data that only
    the named audiences may see, such as community-corrections check-ins)."""
    event = Event.objects.create(
        kind=kind, payload=_plain(payload), audiences=aud.normalise(audiences, include_district=not restricted))
    transaction.on_commit(lambda: schedule_push(event))
    return event


def events_prune() -> int:
    """Delete events past the retention period (worker tick); returns how many went."""
    cutoff = timezone.now() - timedelta(days=conf.retention_days())
    deleted, _ = Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted
