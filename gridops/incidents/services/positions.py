"""Grid workers' position pings: stored in batches and the newest pushed to the console layer."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from geodata.selectors import locate_many_grid_town
from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core import clock
from gridops.core.errors import Forbidden, InvalidInput
from gridops.realtime.services import event_recorded, event_sql, event_unsaved

from ..models import WorkerPosition
from .points import to_accuracy, to_storage_point

_POINT_SRID = WorkerPosition._meta.get_field("point").srid
# The batch and its live event in one statement (one round trip, atomic on its own, as the report's
# `report_write`): before, BEGIN, the ORM's bulk INSERT compiled per call, the event's INSERT and
# COMMIT were four round trips, and compiling the bulk INSERT a third of a batch's CPU (issue 13).
_BATCH_SQL = (
    f"WITH pos AS (INSERT INTO {WorkerPosition._meta.db_table} "
    "(user_id, point, accuracy_m, grid_id, town_id, recorded_at, received_at) "
    f"SELECT %s, ST_SetSRID(ST_MakePoint(p.lon, p.lat), {_POINT_SRID}), p.accuracy_m, p.grid_id, p.town_id, "
    "p.recorded_at, %s FROM unnest(%s::float8[], %s::float8[], %s::float8[], %s::bigint[], %s::bigint[], "
    "%s::timestamptz[]) AS p(lon, lat, accuracy_m, grid_id, town_id, recorded_at) RETURNING 1), "
    "ev AS ({event}) SELECT (SELECT count(*) FROM pos), ev.id FROM ev"
)


def worker_positions_record(*, user, pings: Iterable[dict]) -> int:
    """Store a batch of a grid worker's pings (the tablet flushes its offline queue at once) and
    push the newest live; returns how many were stored.

    Each ping is {lon, lat, crs?, accuracy_m?, recorded_at?}; points outside the district are
    stored without a grid (a worker may cross the border).
    """
    if role_of(user) != Role.GRID_WORKER:
        raise Forbidden("only grid workers send position pings", field="role")
    now = timezone.now()
    points, accuracies, times = [], [], []
    for index, ping in enumerate(pings):
        if not isinstance(ping, dict):
            raise InvalidInput("each ping must be an object", field=f"pings[{index}]")
        try:
            point, _ = to_storage_point(ping.get("lon"), ping.get("lat"), ping.get("crs"))
            accuracy = to_accuracy(ping.get("accuracy_m"))
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"pings[{index}].{exc.field}") from None
        recorded_at = ping.get("recorded_at") or now
        if isinstance(recorded_at, str):
            recorded_at = clock.parse_time(recorded_at, f"pings[{index}].recorded_at")
        if recorded_at > now + timedelta(minutes=5):
            raise InvalidInput("recorded_at is in the future", field=f"pings[{index}].recorded_at")
        if point.srid != _POINT_SRID:
            raise ValueError("a ping's point is stored in the field's own SRID (see points.to_storage_point)")
        points.append((point.x, point.y))
        accuracies.append(accuracy)
        times.append(recorded_at)
    if not points:
        raise InvalidInput("no pings given", field="pings")
    located = locate_many_grid_town(points)
    newest = max(range(len(points)), key=times.__getitem__)
    event = _position_event(user, points[newest], accuracies[newest], times[newest], located[newest])
    statement, event_params = event_sql(event)
    with connection.cursor() as cursor:
        cursor.execute(_BATCH_SQL.format(event=statement), [
            user.pk, now, [x for x, _y in points], [y for _x, y in points], accuracies,
            [place.grid_id if place else None for place in located],
            [place.town_id if place else None for place in located], times, *event_params])
        stored, event_id = cursor.fetchone()
    event_recorded(event, event_id=event_id)
    return stored


def _position_event(user, point: tuple[float, float], accuracy, recorded_at, place):
    """The newest ping of a batch, live to the worker's town and the district (console layer)."""
    audiences = [f"user.{user.pk}"] + ([f"town.{place.town_code}"] if place else [])
    return event_unsaved(kind="worker.position", audiences=audiences, payload={
        "user_id": user.pk, "username": user.get_username(),
        "lon": round(point[0], 7), "lat": round(point[1], 7),
        "accuracy_m": accuracy, "grid_code": place.grid_code if place else None,
        "recorded_at": recorded_at.isoformat(),
    })
