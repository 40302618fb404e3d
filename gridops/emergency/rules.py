"""The emergency rules, each stated once: the acknowledgement deadline, the escalation it
triggers, and the order a task moves in. Kept apart from the incident SLA rules on purpose: an
emergency is timed from its declaration by how fast workers answer, not by a department's
response and resolution hours. The sweep and the pages both call these functions (no SQL copy).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import pgettext_lazy

from . import conf

TASK_ORDER = ["notified", "acknowledged", "on_the_way", "arrived"]
TASK_STAMPS = {"acknowledged": "acknowledged_at", "on_the_way": "on_the_way_at", "arrived": "arrived_at"}

ESCALATION_NAMES = {
    0: pgettext_lazy("emergency", "Not escalated"),
    1: pgettext_lazy("emergency", "Level 1: workers silent past the deadline, the district centre is told"),
    2: pgettext_lazy("emergency", "Level 2: silent past twice the deadline, the district centre takes command"),
}
MAX_LEVEL = max(ESCALATION_NAMES)


def ack_deadline(kind: str, declared_at: datetime) -> datetime:
    """Every tasked worker must acknowledge by then (minutes per kind, `conf.ack_minutes`)."""
    return declared_at + timedelta(minutes=conf.ack_minutes()[kind])


def escalation_due(*, now: datetime, declared_at: datetime, ack_deadline: datetime,
                   all_acknowledged_at: datetime | None, active: bool) -> int:
    """The level an emergency should be at: 0 while in time or once everyone has answered; 1 past
    the deadline with someone silent; 2 past twice the window. Manual escalation may go higher
    sooner; the sweep only ever raises."""
    if not active or all_acknowledged_at is not None or now <= ack_deadline:
        return 0
    return 2 if now > ack_deadline + (ack_deadline - declared_at) else 1


def task_moves_to(current: str, target: str) -> list[str]:
    """The statuses a task passes to reach `target` (empty when it is already there or beyond:
    a retried tap changes nothing). Going on the way acknowledges too."""
    if target not in TASK_STAMPS:
        raise ValueError(target)
    start, end = TASK_ORDER.index(current), TASK_ORDER.index(target)
    return TASK_ORDER[start + 1:end + 1]
