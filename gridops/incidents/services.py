"""Writes of the incidents app: report, transition, merge, escalate, photos, position pings.

`incident_report` is the one entry for creating incidents: the tablet API, the web, Open311 and
the hotline importer all call it, so locating, routing, deadlines, idempotency, automatic
dispatch and the live push happen the same way for every source.

Automatic dispatch (decided here, documented for operators): a report is registered and
dispatched with no human step when all of these hold —
- it comes from a grid worker (trained, on the spot; citizens' and hotline reports are checked
  and registered by the command centre first);
- routing is unambiguous: the type is not an emergency (emergencies reach the district centre at
  once, but a duty officer dispatches, since they usually need several agencies), the position
  is accurate to `GRIDOPS_AUTO_DISPATCH_MAX_ACCURACY_M` (100 m), and the town has a centre;
- no open incident of the same type lies within 50 m from the last 24 h (a suspected duplicate
  waits for an operator to merge it rather than sending the department out twice).
Anything else waits at the town command centre with the reason in its first history line.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from geodata.coords import InputCRS, to_wgs84
from geodata.selectors import locate_point
from gridops.accounts.models import Department, Role
from gridops.accounts.selectors import role_of
from gridops.core import authz, clock, uploads
from gridops.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridops.core.refcache import memoised
from gridops.core.services import audit_record

from . import conf, jurisdiction, rules, selectors
from .models import (
    OPEN_STATUSES, EventType, Incident, IncidentPhoto, IncidentTransition, Source, Status, WorkerPosition,
)
from .routing import route

Action = IncidentTransition.Action


# --- input checks ----------------------------------------------------------------------------

def _event_type(value) -> EventType:
    if isinstance(value, EventType):
        return value
    code = str(value or "").strip()
    et = memoised("event-type", code, lambda: EventType.objects.select_related("category", "department")
                  .filter(code=code, active=True).first())
    if et is None:
        raise InvalidInput(f"unknown event type {value!r}", field="event_type")
    return et


def _coordinate(value, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return number


def to_storage_point(lon, lat, crs: str | None) -> tuple[Point, str]:
    """Validated device coordinates → a WGS84 point and the normalised input CRS name."""
    lon = _coordinate(lon, "lon", -180, 180)
    lat = _coordinate(lat, "lat", -90, 90)
    try:
        parsed = InputCRS.parse(crs)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    x, y = to_wgs84(lon, lat, parsed)
    return Point(x, y, srid=4326), parsed.value


def _accuracy(value) -> float | None:
    if value in (None, ""):
        return None
    number = _coordinate(value, "accuracy_m", 0, 100_000)
    return number


# --- live pushes -----------------------------------------------------------------------------

def incident_payload(incident: Incident, *, now: datetime | None = None) -> dict:
    """What the console and tablets need to draw and filter an incident without a fetch."""
    return {
        "id": incident.pk,
        "status": incident.status,
        "status_label": str(Status(incident.status).label),
        "event_type": {"code": incident.event_type.code, "name": incident.event_type.name},
        "category": incident.category.code,
        "priority": incident.priority,
        "emergency": incident.emergency,
        "lon": round(incident.point.x, 7),
        "lat": round(incident.point.y, 7),
        "town_code": incident.town.code,
        "grid_code": incident.grid.code if incident.grid_id else None,
        "department": incident.department.code if incident.department_id else None,
        "overdue": selectors.is_overdue(incident, now),
        "escalation_level": incident.escalation_level,
        "reported_at": incident.reported_at.isoformat(),
        "version": incident.version,
    }


def incident_audiences(incident: Incident) -> list[str]:
    """Who is told: every zone the incident lies in (town, area, village, micro-grid), the
    department once dispatched, the reporter and co-reporters — `jurisdiction.py`, the same
    definition as `selectors.incidents_visible_to`."""
    return jurisdiction.incident_audiences(incident)


def _publish(incident: Incident, kind: str) -> None:
    from gridops.realtime.services import publish_event

    publish_event(kind=kind, payload=incident_payload(incident), audiences=incident_audiences(incident))


def _history(incident: Incident, *, action: str, actor, from_status: str, to_status: str, at: datetime,
             note: str = "", department=None) -> IncidentTransition:
    return IncidentTransition(incident=incident, action=action, actor=actor, from_status=from_status,
                              to_status=to_status, note=note, at=at, department=department)


# --- report ----------------------------------------------------------------------------------

def incident_report(*, reporter, lon, lat, event_type, source: str, description: str = "",
                    crs: str | None = "wgs84", accuracy_m=None, client_key: str = "",
                    reporter_name: str = "", reporter_phone: str = "", reporter_email: str = "",
                    address: str = "", captured_at: datetime | None = None,
                    reported_at: datetime | None = None) -> tuple[Incident, bool]:
    """Create an incident (or return the one this client key already made): (incident, created).

    Time: `reported_at` is the server's clock on arrival, and deadlines, escalation, duplicate
    detection and KPIs run from it. A device's claim of when it saw the problem is `captured_at`,
    kept beside it within bounds (`core.clock`). Only server-side sources replaying another
    system's clock (the hotline importer, history generators, tests) pass `reported_at`; no API
    hands a client's time to it.

    A grid worker's report whose routing is unambiguous is registered and dispatched at once;
    anything else waits at the town command centre for an operator. The returned incident
    carries `duplicate_candidate_ids` (False when intake found none), for the caller's reply.

    Idempotency is optimistic: the unique (reporter, client_key) index decides, so a first
    report costs no extra lookup and a retry (rare) is answered from the row that won.
    """
    client_key = (client_key or "").strip()
    if len(client_key) > 64:
        raise InvalidInput("client_key must be at most 64 characters", field="client_key")
    if client_key and (reporter is None or not reporter.is_authenticated):
        raise InvalidInput("client_key needs an authenticated reporter", field="client_key")
    try:
        incident = _new_incident(
            reporter=reporter, lon=lon, lat=lat, event_type=event_type, source=source,
            description=description, crs=crs, accuracy_m=accuracy_m, client_key=client_key,
            reporter_name=reporter_name, reporter_phone=reporter_phone, reporter_email=reporter_email,
            address=address, captured_at=captured_at, reported_at=reported_at)
    except InvalidInput:
        # A retry whose first attempt succeeded is answered with that incident even if, say,
        # the type was retired in between.
        existing = _by_client_key(reporter, client_key) if client_key else None
        if existing is None:
            raise
        return existing, False
    if incident is None:
        return _by_client_key(reporter, client_key), False
    return incident, True


def _new_incident(*, reporter, lon, lat, event_type, source, description, crs, accuracy_m, client_key,
                  reporter_name, reporter_phone, reporter_email, address, captured_at,
                  reported_at) -> Incident | None:
    """Validate, locate, route and insert; None when the client key already exists."""
    if source not in Source.values:
        raise InvalidInput(f"unknown source {source!r}", field="source")
    et = _event_type(event_type)
    point, crs_name = to_storage_point(lon, lat, crs)
    accuracy = _accuracy(accuracy_m)
    located = locate_point(point.x, point.y)
    if located is None:
        raise InvalidInput("the point (lon, lat) is outside the district", field="location", code="outside_district")
    if reporter is not None and reporter.is_authenticated and role_of(reporter) not in rules.REPORT_ANYWHERE:
        authz.require_in_jurisdiction(reporter, point, field="location")  # staff record in their remit
    decision = route(et, located.grid, accuracy_m=accuracy, town_centre=located.command_centre)
    now = timezone.now()
    captured_at = clock.device_time(captured_at, now=now, field="captured_at")
    reported_at = reported_at or now
    response_deadline, resolution_deadline = rules.deadlines(
        reported_at=reported_at, priority=et.priority,
        response_hours=et.response_hours, resolution_hours=et.resolution_hours)
    duplicates = list(selectors.duplicate_candidates(event_type_id=et.pk, point=point, now=reported_at)
                      .values_list("pk", flat=True)[:20])
    hold = decision.needs_human or ("疑似重复上报，等待指挥中心合并或立案" if duplicates else "")
    auto = source == Source.GRID_WORKER and decision.unambiguous and not hold
    incident = Incident(
        point=point, input_crs=crs_name, accuracy_m=accuracy, address=(address or "")[:255],
        town=located.town, area=located.area, village=located.village, grid=located.grid,
        event_type=et, category=et.category, priority=et.priority, emergency=et.emergency,
        description=description or "", source=source, reporter=reporter if reporter and reporter.is_authenticated else None,
        reporter_name=(reporter_name or "")[:64], reporter_phone=(reporter_phone or "")[:32],
        reporter_email=(reporter_email or "")[:128], client_key=client_key,
        department=decision.department, command_centre=decision.command_centres[0] if decision.command_centres else None,
        district_notified=len(decision.command_centres) > 1,
        routing_rule=decision.rule, routing_reason=decision.reason[:255],
        reported_at=reported_at, captured_at=captured_at,
        response_deadline=response_deadline, resolution_deadline=resolution_deadline,
        status=Status.DISPATCHED if auto else Status.REPORTED, auto_dispatched=auto,
        registered_at=now if auto else None, dispatched_at=now if auto else None,
    )
    incident.duplicate_candidate_ids = duplicates or False
    try:
        with transaction.atomic():
            incident.save(force_insert=True)
            IncidentTransition.objects.bulk_create(_intake_history(incident, decision, hold, now))
            _publish(incident, "incident.created")
    except IntegrityError:
        # Two retries raced (or this is a retry): the unique (reporter, client_key) decides.
        if client_key and _by_client_key(reporter, client_key) is not None:
            return None
        raise
    return incident


def _by_client_key(reporter, client_key: str) -> Incident | None:
    return selectors.with_related(Incident.objects.filter(reporter=reporter, client_key=client_key)).first()


def _intake_history(incident: Incident, decision, hold: str, now: datetime) -> list[IncidentTransition]:
    """History rows of intake: the report, and the automatic register + dispatch when it was safe."""
    note = f"{decision.reason}；{hold}" if hold else decision.reason
    history = [_history(incident, action=Action.REPORT, actor=incident.reporter, from_status="",
                        to_status=Status.REPORTED, at=incident.reported_at, note=note)]
    if incident.auto_dispatched:
        history += [
            _history(incident, action=Action.AUTO_DISPATCH, actor=None, from_status=Status.REPORTED,
                     to_status=Status.REGISTERED, at=now, note="网格员上报，自动立案"),
            _history(incident, action=Action.AUTO_DISPATCH, actor=None, from_status=Status.REGISTERED,
                     to_status=Status.DISPATCHED, at=now, department=incident.department,
                     note=f"路由明确，自动派遣至{incident.department.name}"),
        ]
    return history


# --- transitions -----------------------------------------------------------------------------

def incident_state(incident: Incident) -> dict:
    """The compact current state sent with a 409, so a client can refresh and decide again."""
    return {
        "id": incident.pk, "status": incident.status, "status_label": str(Status(incident.status).label),
        "version": incident.version,
        "department": incident.department.code if incident.department_id else None,
        "escalation_level": incident.escalation_level,
        "updated_at": incident.updated_at.isoformat() if incident.updated_at else None,
    }


def _locked(user, incident_id, *, lock: bool = True) -> Incident:
    """The incident, if `user` may act on it (`core.authz`: the stored row, in one lookup), locked
    for the write that follows; absent and out-of-reach answer the same 404."""
    qs = selectors.with_related(authz.in_reach(user, Incident))
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=int(incident_id))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"incident {incident_id} not found", field="id") from None


def _check_version(incident: Incident, version) -> None:
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise InvalidInput("version must be the integer you last read", field="version") from None
    if expected != incident.version:
        raise Conflict(f"incident {incident.pk} changed since version {expected} (now {incident.version})",
                       field="version", code="stale_version", extra={"current": incident_state(incident)})


def _department(code) -> Department:
    dept = Department.objects.filter(code=str(code).strip()).first()
    if dept is None:
        raise InvalidInput(f"unknown department {code!r}", field="department")
    return dept


# Moves that end or redirect someone's case are privileged: they go to the audit trail too.
AUDITED_STATUSES = frozenset({Status.VOID, Status.CLOSED})


def incident_transition(*, user, incident_id, status: str, version, note: str = "",
                        department: str | None = None) -> Incident:
    """Move an incident to `status` if the user's role may, at the version the user last read."""
    if status not in Status.values:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    with transaction.atomic():
        incident = _locked(user, incident_id)
        _check_version(incident, version)
        current = incident.status
        if not rules.is_known_move(current, status):
            raise Conflict(f"an incident in status {current} cannot move to {status}", field="status",
                           code="invalid_transition", extra={"current": incident_state(incident)})
        if not rules.may_transition(selectors.acting_capacities(user, incident), current, status):
            raise Forbidden(f"you may not move this incident from {current} to {status}", field="status")
        now = timezone.now()
        if department:
            if status not in rules.NEEDS_DEPARTMENT:
                raise InvalidInput("a department is given only when dispatching", field="department")
            incident.department = _department(department)
        if status in rules.NEEDS_DEPARTMENT and incident.department_id is None:
            raise InvalidInput("dispatching needs a department", field="department")
        incident.status = status
        stamp = rules.STATUS_TIMESTAMP.get(status)
        if stamp:
            setattr(incident, stamp, now)
        if status == Status.DISPATCHED and incident.registered_at is None:
            incident.registered_at = now
        incident.version += 1
        incident.save()
        _history(incident, action=Action.TRANSITION, actor=user, from_status=current, to_status=status,
                 at=now, note=(note or "")[:2000],
                 department=incident.department if status in rules.NEEDS_DEPARTMENT else None).save()
        if status in AUDITED_STATUSES:
            audit_record(actor=user, action=f"incidents.{status}", target=incident,
                         detail={"from": current, "department": incident.department.code if incident.department_id else None})
        _publish(incident, "incident.updated")
    return incident


def incident_merge(*, user, incident_id, into_id, version, note: str = "") -> Incident:
    """Merge a duplicate into the original: the duplicate becomes void, its reporter a co-reporter.

    Both must be visible to the operator; the duplicate's version guards against a stale screen.
    Returns the original.
    """
    if role_of(user) not in rules.MERGERS:
        # Visibility first: a role that cannot see the incident learns nothing about it.
        selectors.incident_for(user, incident_id, related=False)
        raise Forbidden("only command-centre operators merge duplicates", field="into")
    if str(incident_id) == str(into_id):
        raise InvalidInput("an incident cannot be merged into itself", field="into")
    with transaction.atomic():
        duplicate = _locked(user, incident_id)
        try:
            original = _locked(user, into_id)
        except NotFound:
            raise NotFound(f"incident {into_id} not found", field="into") from None
        _check_version(duplicate, version)
        if duplicate.status not in OPEN_STATUSES:
            raise Conflict(f"incident {duplicate.pk} is {duplicate.status} and cannot be merged", field="id",
                           code="invalid_transition", extra={"current": incident_state(duplicate)})
        if original.status == Status.VOID:
            raise Conflict(f"incident {original.pk} is void", field="into", code="invalid_transition",
                           extra={"current": incident_state(original)})
        now = timezone.now()
        from_status = duplicate.status
        duplicate.status = Status.VOID
        duplicate.merged_into = original
        duplicate.version += 1
        duplicate.save()
        reporters = [u for u in (duplicate.reporter_id,) if u and u != original.reporter_id]
        reporters += list(duplicate.co_reporters.exclude(pk=original.reporter_id).values_list("pk", flat=True))
        if reporters:
            original.co_reporters.add(*reporters)
        original.version += 1
        original.save(update_fields=["version", "updated_at"])
        text = (note or "")[:2000]
        IncidentTransition.objects.bulk_create([
            _history(duplicate, action=Action.MERGE, actor=user, from_status=from_status, to_status=Status.VOID,
                     at=now, note=f"合并至 #{original.pk} {text}".strip()),
            _history(original, action=Action.MERGE, actor=user, from_status=original.status,
                     to_status=original.status, at=now, note=f"合并重复上报 #{duplicate.pk} {text}".strip()),
        ])
        audit_record(actor=user, action="incidents.merge", target=original, detail={"duplicate": duplicate.pk})
        _publish(duplicate, "incident.updated")
        _publish(original, "incident.updated")
    return original


# --- escalation ------------------------------------------------------------------------------

def escalate_overdue(now: datetime | None = None) -> int:
    """Escalate every incident past a deadline to its next level; returns how many moved.

    Idempotent: an incident's `escalation_level` only rises to the level its breach calls for, so
    a second sweep (or one restarted after being killed mid-way) escalates nothing twice. Rows
    are claimed with FOR UPDATE SKIP LOCKED, so parallel sweeps and operators never block.
    """
    now = now or timezone.now()
    moved = 0
    batch = conf.escalation_batch()
    while True:
        with transaction.atomic():
            pending = list(selectors.with_related(
                Incident.objects.filter(selectors.escalation_due_q(now))
            ).select_for_update(of=("self",), skip_locked=True).order_by("id")[:batch])
            changed = 0
            history = []
            for incident in pending:
                level = rules.breach_level(status=incident.status, now=now,
                                           response_deadline=incident.response_deadline,
                                           resolution_deadline=incident.resolution_deadline)
                if level <= incident.escalation_level:
                    continue
                incident.escalation_level = level
                incident.escalated_at = now
                incident.district_notified = True
                incident.save(update_fields=["escalation_level", "escalated_at", "district_notified", "updated_at"])
                history.append(_history(incident, action=Action.ESCALATE, actor=None, from_status=incident.status,
                                        to_status=incident.status, at=now, note=rules.ESCALATION_LABELS[level]))
                _publish(incident, "incident.updated")
                changed += 1
            IncidentTransition.objects.bulk_create(history)
        moved += changed
        if len(pending) < batch:
            return moved


def escalation_tick() -> None:
    """Worker entry (gridops.core.workers)."""
    escalate_overdue()


# --- photos ----------------------------------------------------------------------------------

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def incident_photo_add(*, user, incident_id, upload) -> tuple[IncidentPhoto, bool]:
    """Attach a photo (decoded, bounded and re-encoded by `core.uploads`, at most the configured
    size); the same photo twice returns the one already stored, so a tablet may retry safely."""
    incident = _locked(user, incident_id, lock=False)
    checked = uploads.check_upload(upload, limit=conf.photo_max_bytes(), allowed=PHOTO_TYPES, field="photo")
    data, content_type, digest = checked.data, checked.content_type, checked.sha256
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).first()
        existing = incident.photos.filter(sha256=digest).first()
        if existing is not None:
            return existing, False
        if incident.photos.count() >= conf.photos_per_incident():
            raise Conflict(f"an incident holds at most {conf.photos_per_incident()} photos", field="photo",
                           code="too_many_photos")
        photo = IncidentPhoto(incident=incident, content_type=content_type, size=len(data), sha256=digest,
                              uploaded_by=user if user.is_authenticated else None)
        photo.file.save(f"{digest[:16]}.{photo.extension}", ContentFile(data), save=False)
        photo.save()
    return photo, True


# --- worker positions ------------------------------------------------------------------------

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
            accuracy = _accuracy(ping.get("accuracy_m"))
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"pings[{index}].{exc.field}") from None
        recorded_at = ping.get("recorded_at") or now
        if isinstance(recorded_at, str):
            recorded_at = clock.parse_time(recorded_at, f"pings[{index}].recorded_at")
        if recorded_at > now + timedelta(minutes=5):
            raise InvalidInput("recorded_at is in the future", field=f"pings[{index}].recorded_at")
        located = locate_point(point.x, point.y)
        positions.append(WorkerPosition(
            user=user, point=point, accuracy_m=accuracy, recorded_at=recorded_at,
            grid=located.grid if located else None, town=located.town if located else None))
    if not positions:
        raise InvalidInput("no pings given", field="pings")
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

