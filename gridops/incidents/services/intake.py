"""Intake: `incident_report`, the one entry for creating incidents.

The tablet API, the web, Open311 and the hotline importer all call it, so locating, routing,
deadlines, idempotency, automatic dispatch and the live push happen the same way for every source.

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

from datetime import datetime

from django.utils import timezone

from geodata.selectors import generation_in_force_at, locate_point
from gridops.accounts.selectors import role_of
from gridops.core import authz, clock
from gridops.core.errors import Conflict, InvalidInput
from gridops.core.refcache import generation, memoised

from .. import rules, selectors, sla
from ..assignment import route
from ..models import EventType, Incident, IncidentTransition, Source, Status
from ..reference_rows import reference_rows
from .points import to_accuracy, to_storage_point
from .report_write import report_insert
from .trail import history_row

Action = IncidentTransition.Action


def _active_event_types(current: int | None = None) -> dict[str, EventType]:
    """Every active type by code, kept per process while the reference generation stands.

    Reports name any of the catalogue's ~1,500 types, so a memo per code still queried on most
    reports under load (13 % of a report's samples in the intake profile); one read of the whole
    catalogue serves them all.
    """
    return memoised("event-types-active", None, lambda: {
        et.code: et for et in reference_rows(current).event_types.values() if et.active}, current=current)


def _event_type(value, *, current: int | None = None) -> EventType:
    if isinstance(value, EventType):
        return value
    et = _active_event_types(current).get(str(value or "").strip())
    if et is None:
        raise InvalidInput(f"unknown event type {value!r}", field="event_type")
    return et


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
        existing = _by_client_key(reporter, client_key)
        if existing is None:  # the key's row is not visible to this transaction: try again later
            raise Conflict("a report with this client_key is still being stored", field="client_key",
                           code="client_key_busy")
        return existing, False
    return incident, True


def _new_incident(*, reporter, lon, lat, event_type, source, description, crs, accuracy_m, client_key,
                  reporter_name, reporter_phone, reporter_email, address, captured_at,
                  reported_at) -> Incident | None:
    """Validate, locate, route and insert; None when the client key already exists."""
    if source not in Source.values:
        raise InvalidInput(f"unknown source {source!r}", field="source")
    # The reference generation is read once per report (a Redis round trip, each a wait for the
    # CPU again on a loaded machine) for every reference row it needs: type, departments, centres.
    current = generation()
    et = _event_type(event_type, current=current)
    point, crs_name = to_storage_point(lon, lat, crs)
    accuracy = to_accuracy(accuracy_m)
    # A replayed report (another system's clock) is located on the grid in force when it was made.
    located = locate_point(point.x, point.y, generation=generation_in_force_at(reported_at) if reported_at else None)
    if located is None:
        raise InvalidInput("the point (lon, lat) is outside the district", field="location", code="outside_district")
    if reporter is not None and reporter.is_authenticated and role_of(reporter) not in rules.REPORT_ANYWHERE:
        authz.require_in_jurisdiction(reporter, point, field="location")  # staff record in their remit
    decision = route(et, located.grid, accuracy_m=accuracy, town_centre=located.command_centre,
                     reference_generation=current)
    now = timezone.now()
    captured_at = clock.device_time(captured_at, now=now, field="captured_at")
    reported_at = reported_at or now
    response_deadline, resolution_deadline = sla.deadlines(
        reported_at=reported_at, priority=et.priority,
        response_hours=et.response_hours, resolution_hours=et.resolution_hours)
    duplicates = selectors.duplicate_ids(event_type_id=et.pk, point=point, now=reported_at)
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
    # One statement writes the incident, its history and its event; a retry (or two racing) is
    # turned away by the unique (reporter, client_key) index with nothing written.
    if not report_insert(incident, _intake_history(incident, decision, hold, now)):
        return None
    return incident


def _by_client_key(reporter, client_key: str) -> Incident | None:
    return selectors.with_related(Incident.objects.filter(reporter=reporter, client_key=client_key)).first()


def _intake_history(incident: Incident, decision, hold: str, now: datetime) -> list[IncidentTransition]:
    """History rows of intake: the report, and the automatic register + dispatch when it was safe."""
    note = f"{decision.reason}；{hold}" if hold else decision.reason
    history = [history_row(incident, action=Action.REPORT, actor=incident.reporter, from_status="",
                        to_status=Status.REPORTED, at=incident.reported_at, note=note)]
    if incident.auto_dispatched:
        history += [
            history_row(incident, action=Action.AUTO_DISPATCH, actor=None, from_status=Status.REPORTED,
                     to_status=Status.REGISTERED, at=now, note="网格员上报，自动立案"),
            history_row(incident, action=Action.AUTO_DISPATCH, actor=None, from_status=Status.REGISTERED,
                     to_status=Status.DISPATCHED, at=now, department=incident.department,
                     note=f"路由明确，自动派遣至{incident.department.name}"),
        ]
    return history
