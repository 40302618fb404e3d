"""The escalation sweep: incidents past an SLA deadline rise to the level their breach calls for."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .. import conf, selectors, sla
from ..models import Incident, IncidentTransition
from .trail import history_row, publish_incident

Action = IncidentTransition.Action


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
                Incident.objects.filter(sla.escalation_due_q(now))
            ).select_for_update(of=("self",), skip_locked=True).order_by("id")[:batch])
            changed = 0
            history = []
            for incident in pending:
                level = sla.level_of(incident, now)
                if level <= incident.escalation_level:
                    continue
                incident.escalation_level = level
                incident.escalated_at = now
                incident.district_notified = True
                incident.save(update_fields=["escalation_level", "escalated_at", "district_notified", "updated_at"])
                history.append(history_row(incident, action=Action.ESCALATE, actor=None, from_status=incident.status,
                                           to_status=incident.status, at=now, note=sla.ESCALATION_LABELS[level]))
                publish_incident(incident, "incident.updated")
                changed += 1
            IncidentTransition.objects.bulk_create(history)
        moved += changed
        if len(pending) < batch:
            return moved


def escalation_tick() -> None:
    """Worker entry (gridops.core.workers)."""
    escalate_overdue()
