"""Writes of emergency response: declare, answer a task, escalate, close, shelter occupancy.

Every write asks `gridops.core.authz` first (the object in reach, the place in jurisdiction),
runs in one transaction and pushes after commit through the realtime event log (`publish_event`),
so a tablet that was offline catches the task up by event id, and a rolled-back declaration never
reaches anyone.
"""
from __future__ import annotations

import json

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.db import IntegrityError, transaction
from django.utils import timezone

from geodata.models import Level, Zone
from gridops.accounts.models import Profile, Role
from gridops.accounts.selectors import role_of, within_jurisdiction
from gridops.core.authz import require_in_jurisdiction, require_may_act
from gridops.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridops.core.numbers import parse_lon_lat, parse_number
from gridops.realtime.services import publish_event

from . import conf, rules, selectors
from .models import AreaSource, Emergency, Kind, Shelter, Status, Task, TaskStatus

OPERATORS = frozenset({Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR})


def require_operator(user) -> None:
    if not (getattr(user, "is_superuser", False) or role_of(user) in OPERATORS):
        raise Forbidden("only command-centre operators manage emergencies", field="role")


# --- the area -------------------------------------------------------------------------------

def _polygon(value) -> MultiPolygon:
    try:
        geom = GEOSGeometry(value if isinstance(value, str) else json.dumps(value), srid=4326)
    except (GEOSException, ValueError, TypeError):
        raise InvalidInput("polygon must be a GeoJSON Polygon or MultiPolygon", field="polygon") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.empty:
        raise InvalidInput("polygon must be a GeoJSON Polygon or MultiPolygon", field="polygon")
    geom = geom if geom.valid else geom.make_valid()
    polygons = [g for g in (geom if geom.geom_type in ("MultiPolygon", "GeometryCollection") else [geom])
                if g.geom_type == "Polygon"]
    if not polygons:
        raise InvalidInput("polygon encloses no area", field="polygon")
    return MultiPolygon(*polygons, srid=4326)


def _buffer(point, radius_m) -> MultiPolygon:
    """A circle of `radius_m` metres round the point, measured in EPSG:4547."""
    if not isinstance(point, (list, tuple)) or len(point) != 2:
        raise InvalidInput("point must be [lon, lat]", field="point")
    lon, lat = parse_lon_lat(*point, prefix="point.")
    radius = parse_number(radius_m, "radius_m", low=1, high=conf.buffer_max_m())
    return selectors.circle(lon, lat, radius)


def _zones(codes) -> MultiPolygon:
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise InvalidInput("zones must be a list of zone codes", field="zones")
    zones = list(Zone.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {z.code for z in zones})
    if missing:
        raise InvalidInput(f"unknown zone code {missing[0]}", field="zones")
    union = zones[0].geom
    for zone in zones[1:]:
        union = union.union(zone.geom)
    return union if union.geom_type == "MultiPolygon" else MultiPolygon(union, srid=4326)


def area_from(spec: dict) -> tuple[MultiPolygon, str]:
    """The area of a declaration: exactly one of `polygon`, `point` + `radius_m`, or `zones`."""
    if not isinstance(spec, dict):
        raise InvalidInput("area must be an object", field="area")
    given = [key for key in ("polygon", "point", "zones") if spec.get(key) is not None]
    if len(given) != 1:
        raise InvalidInput("give exactly one of polygon, point (with radius_m) or zones", field="area")
    if given == ["polygon"]:
        return _polygon(spec["polygon"]), AreaSource.POLYGON
    if given == ["point"]:
        return _buffer(spec["point"], spec.get("radius_m")), AreaSource.BUFFER
    return _zones(spec["zones"]), AreaSource.ZONES


# --- declare --------------------------------------------------------------------------------

def emergency_declare(*, user, kind: str, title: str, area: dict, client_key: str | None = None) -> tuple[Emergency, bool]:
    """Declare an emergency; every grid worker of a micro-grid it touches (within the operator's
    jurisdiction) is tasked at once. Returns (emergency, created); a retried `client_key` returns
    the first declaration unchanged."""
    require_operator(user)
    if kind not in Kind.values:
        raise InvalidInput(f"kind must be one of {', '.join(Kind.values)}", field="kind")
    title = title.strip() if isinstance(title, str) else ""
    if not title or len(title) > 128:
        raise InvalidInput("title is required (at most 128 characters)", field="title")
    if client_key is not None and (not isinstance(client_key, str) or not 0 < len(client_key) <= 64):
        raise InvalidInput("client_key must be 1-64 characters", field="client_key")
    if client_key:
        earlier = Emergency.objects.filter(client_key=client_key).first()
        if earlier is not None:
            if earlier.declared_by_id != user.pk:
                raise Conflict("that client_key was used by someone else", field="client_key")
            return earlier, False
    geom, source = area_from(area)
    require_in_jurisdiction(user, geom.point_on_surface, field="area")
    grids = list(Zone.objects.filter(level=Level.GRID, geom__relate=(geom, "T********"))
                 .filter(within_jurisdiction(user, "code")).values_list("pk", "code"))
    if not grids:
        raise InvalidInput("the area touches no micro-grid in your jurisdiction", field="area")
    now = timezone.now()
    try:
        with transaction.atomic():
            emergency = Emergency.objects.create(
                kind=kind, title=title, area=geom, area_source=source, declared_by=user, declared_at=now,
                ack_deadline=rules.ack_deadline(kind, now), client_key=client_key or None,
                audiences=selectors.zone_audiences([code for _pk, code in grids]))
            workers = sorted(set(Profile.objects.filter(
                role=Role.GRID_WORKER, user__is_active=True, grids__in=[pk for pk, _code in grids])
                .values_list("user_id", flat=True)))
            Task.objects.bulk_create(Task(emergency=emergency, worker_id=w, notified_at=now) for w in workers)
            _publish("emergency.declared", emergency, worker_ids=workers)
    except IntegrityError:  # the same client_key raced in twice: the first one stands
        return Emergency.objects.get(client_key=client_key), False
    return emergency, True


def _publish(kind: str, emergency: Emergency, *, worker_ids, task: Task | None = None) -> None:
    """An emergency event to its zones' audiences (the district included) and to the workers it
    concerns, whose tablets catch up on it by event id if they were offline."""
    payload = {"emergency": selectors.emergency_card(emergency), "worker_ids": list(worker_ids)}
    if task is not None:
        payload["task"] = selectors.task_row(task)
    publish_event(kind=kind, payload=payload, audiences=[*emergency.audiences, *(f"user.{w}" for w in worker_ids)])


# --- a worker answers -----------------------------------------------------------------------

def task_advance(*, user, task_id: int, status: str) -> Task:
    """Acknowledge, or mark on the way / arrived. Idempotent: a repeated or older status changes
    nothing and pushes nothing (tablets retry from their outbox)."""
    with transaction.atomic():
        task = Task.objects.select_for_update().filter(pk=task_id).first()
        if task is None:
            raise NotFound("task not found", field="task")
        require_may_act(user, task)
        if not isinstance(status, str) or status not in rules.TASK_STAMPS:
            raise InvalidInput(f"status must be one of {', '.join(rules.TASK_STAMPS)}", field="status")
        # The emergency row is locked too, so two last acknowledgements cannot both miss "all".
        emergency = Emergency.objects.select_for_update().get(pk=task.emergency_id)
        steps = rules.task_moves_to(task.status, status)
        if not steps:
            return task
        if emergency.status != Status.ACTIVE:
            raise Conflict("this emergency is closed", field="status")
        now = timezone.now()
        for step in steps:
            setattr(task, rules.TASK_STAMPS[step], now)
        task.status = status
        task.save()
        if emergency.all_acknowledged_at is None and not emergency.tasks.filter(status=TaskStatus.NOTIFIED).exists():
            emergency.all_acknowledged_at = now
            emergency.save(update_fields=["all_acknowledged_at"])
        task.emergency = emergency
        _publish("emergency.task", emergency, worker_ids=[task.worker_id], task=task)
    return task


# --- the command centre ---------------------------------------------------------------------

def _locked(user, emergency_id: int) -> Emergency:
    require_operator(user)
    emergency = Emergency.objects.select_for_update().filter(pk=emergency_id).first()
    if emergency is None:
        raise NotFound("emergency not found", field="emergency")
    require_may_act(user, emergency)
    return emergency


def _tasked(emergency: Emergency) -> list[int]:
    return list(emergency.tasks.values_list("worker_id", flat=True))


def emergency_escalate(*, user, emergency_id: int) -> Emergency:
    """An operator raises the emergency one level (up to the top)."""
    with transaction.atomic():
        emergency = _locked(user, emergency_id)
        if emergency.status != Status.ACTIVE:
            raise Conflict("this emergency is closed", field="status")
        if emergency.escalation_level >= rules.MAX_LEVEL:
            raise Conflict("already at the highest level", field="escalation_level")
        _raise_to(emergency, emergency.escalation_level + 1)
    return emergency


def _raise_to(emergency: Emergency, level: int) -> None:
    emergency.escalation_level, emergency.escalated_at = level, timezone.now()
    emergency.save(update_fields=["escalation_level", "escalated_at"])
    _publish("emergency.escalated", emergency, worker_ids=_tasked(emergency))


def emergency_close(*, user, emergency_id: int, note: str = "") -> Emergency:
    """Close it; closing again is a no-op (a retried close)."""
    if not isinstance(note, str) or len(note) > 500:
        raise InvalidInput("note must be text of at most 500 characters", field="note")
    with transaction.atomic():
        emergency = _locked(user, emergency_id)
        if emergency.status == Status.CLOSED:
            return emergency
        emergency.status, emergency.closed_at, emergency.closed_by, emergency.close_note = (
            Status.CLOSED, timezone.now(), user, note.strip())
        emergency.save(update_fields=["status", "closed_at", "closed_by", "close_note"])
        _publish("emergency.closed", emergency, worker_ids=_tasked(emergency))
    return emergency


def escalation_tick() -> int:
    """Worker tick: raise every active emergency to the level its silence calls for (the rule is
    `rules.escalation_due`); returns how many were raised."""
    raised = 0
    now = timezone.now()
    for pk in Emergency.objects.filter(status=Status.ACTIVE, all_acknowledged_at__isnull=True,
                                       ack_deadline__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            emergency = Emergency.objects.select_for_update().get(pk=pk)
            due = rules.escalation_due(now=now, declared_at=emergency.declared_at, ack_deadline=emergency.ack_deadline,
                                       all_acknowledged_at=emergency.all_acknowledged_at,
                                       active=emergency.status == Status.ACTIVE)
            if due > emergency.escalation_level:
                _raise_to(emergency, due)
                raised += 1
    return raised


def shelter_occupancy_set(*, user, code: str, occupancy) -> Shelter:
    """Set how many people a shelter holds now (an operator whose jurisdiction holds it)."""
    require_operator(user)
    with transaction.atomic():
        shelter = Shelter.objects.select_for_update().filter(code=code).first()
        if shelter is None:
            raise NotFound("shelter not found", field="code")
        require_may_act(user, shelter)
        occupancy = parse_number(occupancy, "occupancy", low=0, whole=True)
        if not 0 <= occupancy <= shelter.capacity:
            raise InvalidInput(f"occupancy must be between 0 and the capacity {shelter.capacity}", field="occupancy")
        shelter.occupancy = occupancy
        shelter.save(update_fields=["occupancy", "updated_at"])
        publish_event(kind="emergency.shelter", payload=selectors.shelter_row(shelter),
                      audiences=selectors.zone_audiences([shelter.grid_code]))
    return shelter
