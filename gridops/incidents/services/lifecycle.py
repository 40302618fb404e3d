"""Lifecycle of an incident after intake: status transitions and merging duplicates.

Every move is taken at the version the operator last read (a stale screen gets a 409 with the
current state) and by a role `rules` allows; the incident row is locked for the write.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gridops.accounts.models import Department
from gridops.accounts.selectors import role_of
from gridops.core import authz
from gridops.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridops.core.services import audit_record

from .. import rules, selectors
from ..models import OPEN_STATUSES, Incident, IncidentTransition, Status
from .trail import history_row, publish_incident

Action = IncidentTransition.Action


def incident_state(incident: Incident) -> dict:
    """The compact current state sent with a 409, so a client can refresh and decide again."""
    return {
        "id": incident.pk, "status": incident.status, "status_label": str(Status(incident.status).label),
        "version": incident.version,
        "department": incident.department.code if incident.department_id else None,
        "escalation_level": incident.escalation_level,
        "updated_at": incident.updated_at.isoformat() if incident.updated_at else None,
    }


def locked(user, incident_id, *, lock: bool = True, related: bool = True, co_reporters: bool = False) -> Incident:
    """The incident, if `user` may act on it (`core.authz`: the stored row, in one lookup), locked
    for the write that follows; absent and out-of-reach answer the same 404.

    `related`: with the rows a reply and a push name (type, zones, department...); `co_reporters`:
    with their ids as `co_reporter_ids` (read in the same statement, for the push's audiences and
    the reply's count)."""
    qs = authz.in_reach(user, Incident, one_row=True)
    if related:
        qs = selectors.with_related(qs)
    if co_reporters:
        qs = selectors.with_co_reporter_ids(qs)
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=int(incident_id))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"incident {incident_id} not found", field="id") from None


def reachable_pk(user, incident_id) -> int:
    """The incident's id if `user` may act on it: `locked`'s rule and 404, without reading the row
    (a photo needs only the id; building the incident and its point was most of the check).
    `core.authz` answers it with the incidents' scope, compiled once per user
    (`selectors.visible_ids`, `selectors.reach_statement`)."""
    try:
        pk = int(incident_id)
    except (ValueError, TypeError):
        pk = None
    if pk is None or not authz.reachable_ids(user, Incident, [pk]):
        raise NotFound(f"incident {incident_id} not found", field="id")
    return pk


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
    """Move an incident to `status` if the user's role may, at the version the user last read.

    Returns the incident as written (related rows and `co_reporter_ids` loaded), which is what the
    user now sees: no move changes what its maker may see (grants follow zones, the reporter, and
    a department's dispatched work, and only operators, who see by zone, dispatch)."""
    if status not in Status.values:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    with transaction.atomic():
        incident = locked(user, incident_id, co_reporters=True)
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
        # Only what a move writes (saving every column re-sent the point and 40 others).
        incident.save(update_fields=["status", "version", "department", "registered_at", "updated_at",
                                     *([stamp] if stamp else [])])
        history_row(incident, action=Action.TRANSITION, actor=user, from_status=current, to_status=status,
                 at=now, note=(note or "")[:2000],
                 department=incident.department if status in rules.NEEDS_DEPARTMENT else None).save()
        if status in AUDITED_STATUSES:
            audit_record(actor=user, action=f"incidents.{status}", target=incident,
                         detail={"from": current, "department": incident.department.code if incident.department_id else None})
        publish_incident(incident, "incident.updated")
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
        duplicate = locked(user, incident_id)
        try:
            original = locked(user, into_id)
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
            history_row(duplicate, action=Action.MERGE, actor=user, from_status=from_status, to_status=Status.VOID,
                     at=now, note=f"合并至 #{original.pk} {text}".strip()),
            history_row(original, action=Action.MERGE, actor=user, from_status=original.status,
                     to_status=original.status, at=now, note=f"合并重复上报 #{duplicate.pk} {text}".strip()),
        ])
        audit_record(actor=user, action="incidents.merge", target=original, detail={"duplicate": duplicate.pk})
        publish_incident(duplicate, "incident.updated")
        publish_incident(original, "incident.updated")
    return original
