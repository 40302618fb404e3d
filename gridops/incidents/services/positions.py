"""Grid workers' position pings: stored in batches and the newest pushed to the console layer."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from geodata.selectors import locate_many
from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core import clock
from gridops.core.errors import Forbidden, InvalidInput

from ..models import WorkerPosition
from .points import to_accuracy, to_storage_point


def worker_positions_record(*, user, pings: Iterable[dict]) -> list[WorkerPosition]:
    """Store a batch of a grid worker's pings (the tablet flushes its offline queue at once).

    Each ping is {lon, lat, crs?, accuracy_m?, recorded_at?}; points outside the district are
    stored without a grid (a worker may cross the border).
    """
    if role_of(user) != Role.GRID_WORKER:
        raise Forbidden("only grid workers send position pings", field="role")
    now = timezone.now()
    positions = []
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
        positions.append(WorkerPosition(user=user, point=point, accuracy_m=accuracy, recorded_at=recorded_at))
    if not positions:
        raise InvalidInput("no pings given", field="pings")
    # One statement for the whole batch (the tablet flushes several pings at once).
    for position, located in zip(positions, locate_many([(p.point.x, p.point.y) for p in positions])):
        if located is not None:
            position.grid, position.town = located.grid, located.town
    with transaction.atomic():
        stored = WorkerPosition.objects.bulk_create(positions)
        _publish_position(user, max(stored, key=lambda p: p.recorded_at))
    return stored


def _publish_position(user, position: WorkerPosition) -> None:
    """The newest ping of a batch goes live to the worker's town and the district (console layer)."""
    from gridops.realtime.services import publish_event

    audiences = [f"user.{user.pk}"] + ([f"town.{position.town.code}"] if position.town_id else [])
    publish_event(kind="worker.position", audiences=audiences, payload={
        "user_id": user.pk, "username": user.get_username(),
        "lon": round(position.point.x, 7), "lat": round(position.point.y, 7),
        "accuracy_m": position.accuracy_m, "grid_code": position.grid.code if position.grid_id else None,
        "recorded_at": position.recorded_at.isoformat(),
    })
