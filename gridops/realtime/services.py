"""Writes of the realtime app: recording an event and appending it to the stream after commit.

The event row is written inside the caller's transaction, so a rolled-back change is never
recorded nor broadcast; the append to the event stream (`stream.py`) runs in
`transaction.on_commit`. Redis only carries the live copy: if it is down the write still
succeeds, and the processes' hubs and reconnecting clients recover the event from the table.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from . import audiences as aud
from . import committed, conf, stream
from .models import Event

logger = logging.getLogger(__name__)


def _plain(payload: dict) -> dict:
    """Datetimes, decimals and UUIDs as JSON text, so the DB row and the pushed copy agree."""
    if not isinstance(payload, dict):
        from gridops.core.errors import InvalidInput

        raise InvalidInput("payload must be an object", field="payload")
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def schedule_push(event: Event) -> None:
    """After commit: hand the event to the stream (background append, or inline in tests)."""
    committed.heard(event.kind)
    stream.submit(stream.event_entry(event, committed_at=time.time()))


def revoke_sockets(*, user_id: int, credential: str | None = None, code: int = 4401,
                   reason: str = "session ended") -> None:
    """Close a user's open sockets on every node after the current transaction commits: those
    opened with `credential` (a session's hash, or "token"), or all of them when None."""
    entry = stream.control_entry(op="revoke", user=user_id, credential=credential, code=code, reason=reason)
    transaction.on_commit(lambda: stream.submit(entry))


def publish_event(*, kind: str, payload: dict, audiences: Iterable[str], restricted: bool = False) -> Event:
    """Record an event in the current transaction and push it to its audiences after commit.

    The district command centre sees every event unless `restricted` (personal data that only
    the named audiences may see, such as community-corrections check-ins)."""
    event = event_unsaved(kind=kind, payload=payload, audiences=audiences, restricted=restricted)
    event.save(force_insert=True)
    transaction.on_commit(lambda: schedule_push(event))
    return event


def event_unsaved(*, kind: str, payload: dict, audiences: Iterable[str], restricted: bool = False) -> Event:
    """The event `publish_event` records, not yet written (payload made plain, audiences checked)."""
    return Event(kind=kind, payload=_plain(payload), created_at=timezone.now(),
                 audiences=aud.normalise(audiences, include_district=not restricted))


# The event of a row another statement inserts, written by that same statement (a CTE): the
# report intake writes its incident, history and event in one round trip instead of five (BEGIN,
# three INSERTs, COMMIT), each a wait for the CPU again on a loaded machine (issue 13).
_EVENT_INSERT = f"INSERT INTO {Event._meta.db_table} (kind, payload, audiences, created_at) "
_EVENT_FROM_ROW_SQL = (_EVENT_INSERT + "SELECT %s, jsonb_set(%s::jsonb, %s::text[], to_jsonb({source}.id)), "
                       "%s::varchar(64)[], %s FROM {source} RETURNING id")


def event_from_row_sql(event: Event, *, source: str, id_key: str = "id") -> tuple[str, list]:
    """(SQL, params) inserting `event` once per row of the CTE `source` (a name, never input), its
    payload's `id_key` set to that row's `id`; `event_from_row_recorded` completes it."""
    kind, payload, audiences, created_at = _event_params(event)
    return _EVENT_FROM_ROW_SQL.format(source=source), [kind, payload, [id_key], audiences, created_at]


def event_from_row_recorded(event: Event, *, event_id: int, row_id: int, id_key: str = "id") -> Event:
    """The event as the statement wrote it; its push is queued for after commit, as `publish_event` does."""
    event.payload[id_key] = row_id
    return event_recorded(event, event_id=event_id)


_EVENT_SQL = _EVENT_INSERT + "VALUES (%s, %s::jsonb, %s::varchar(64)[], %s) RETURNING id"


def event_sql(event: Event) -> tuple[str, list]:
    """(SQL, params) inserting `event` (from `event_unsaved`) as part of another statement (a CTE
    beside the rows it tells of); `event_recorded` completes it."""
    return _EVENT_SQL, _event_params(event)


def _event_params(event: Event) -> list:
    """The event's columns as both statements bind them (kind, payload as JSON, audiences, time)."""
    return [event.kind, json.dumps(event.payload, cls=DjangoJSONEncoder), event.audiences, event.created_at]


def event_recorded(event: Event, *, event_id: int) -> Event:
    """The event as a statement wrote it; its push is queued for after commit, as `publish_event` does."""
    event.pk = event_id
    event._state.adding = False
    transaction.on_commit(lambda: schedule_push(event))
    return event


def events_prune() -> int:
    """Delete events past the retention period (worker tick); returns how many went."""
    cutoff = timezone.now() - timedelta(days=conf.retention_days())
    deleted, _ = Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted
