"""The emergency rules: deadline, escalation due, task order."""
from datetime import datetime, timedelta, timezone

import pytest

from gridops.emergency import rules

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)


def test_deadline_comes_from_the_kind(settings):
    settings.GRIDOPS_EMERGENCY_ACK_MINUTES = {"flood": 20}
    assert rules.ack_deadline("flood", T0) == T0 + timedelta(minutes=20)
    assert rules.ack_deadline("accident", T0) == T0 + timedelta(minutes=10)


@pytest.mark.parametrize("minutes, acked, active, level", [
    (5, False, True, 0),    # in time
    (11, False, True, 1),   # past the deadline, someone silent
    (21, False, True, 2),   # past twice the window
    (21, True, True, 0),    # everyone answered
    (21, False, False, 0),  # closed
])
def test_escalation_due(minutes, acked, active, level):
    deadline = rules.ack_deadline("accident", T0)
    assert rules.escalation_due(now=T0 + timedelta(minutes=minutes), declared_at=T0, ack_deadline=deadline,
                                all_acknowledged_at=T0 if acked else None, active=active) == level


def test_task_moves_forward_only_and_on_the_way_acknowledges():
    assert rules.task_moves_to("notified", "acknowledged") == ["acknowledged"]
    assert rules.task_moves_to("notified", "on_the_way") == ["acknowledged", "on_the_way"]
    assert rules.task_moves_to("on_the_way", "acknowledged") == []
    assert rules.task_moves_to("arrived", "arrived") == []
    with pytest.raises(ValueError):
        rules.task_moves_to("notified", "notified")
