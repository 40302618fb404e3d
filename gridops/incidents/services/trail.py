"""What every incident write leaves behind: a history row, and a live push after commit.

The payload and audiences are defined here once, so intake, transitions, merges and the
escalation sweep tell the console and tablets the same thing.
"""
from __future__ import annotations

from datetime import datetime

from .. import jurisdiction, sla
from ..models import Incident, IncidentTransition, Status


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
        "overdue": sla.is_overdue(incident, now),
        "escalation_level": incident.escalation_level,
        "reported_at": incident.reported_at.isoformat(),
        "version": incident.version,
    }


def incident_audiences(incident: Incident, *, created: bool = False) -> list[str]:
    """Who is told: every zone the incident lies in (town, area, village, micro-grid), the
    department once dispatched, the reporter and co-reporters (none yet when `created`) —
    `jurisdiction.py`, the same definition as `selectors.incidents_visible_to`."""
    return jurisdiction.incident_audiences(incident, co_reporters=not created)


def publish_incident(incident: Incident, kind: str, *, created: bool = False) -> None:
    """Queue the push of `incident` (`publish_event` sends it on commit, never on rollback);
    `created` for the report just inserted."""
    from gridops.realtime.services import publish_event

    publish_event(kind=kind, payload=incident_payload(incident),
                  audiences=incident_audiences(incident, created=created))


def history_row(incident: Incident, *, action: str, actor, from_status: str, to_status: str, at: datetime,
                note: str = "", department=None) -> IncidentTransition:
    """An unsaved history row, so a caller writing several can `bulk_create` them at once."""
    return IncidentTransition(incident=incident, action=action, actor=actor, from_status=from_status,
                              to_status=to_status, note=note, at=at, department=department)
