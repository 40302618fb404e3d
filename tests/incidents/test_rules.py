"""The plain rules: transition table, deadlines, breach levels, rule choice."""
from datetime import datetime, timedelta, timezone

import pytest

from gridops.accounts.models import Role
from gridops.incidents import rules
from gridops.incidents.models import Status

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


def test_every_status_but_closed_and_void_has_a_way_forward():
    sources = {frm for frm, _ in rules.TRANSITIONS}
    assert sources == set(Status.values) - {Status.CLOSED, Status.VOID}
    assert not any(frm == Status.CLOSED or frm == Status.VOID for frm, _ in rules.TRANSITIONS)


@pytest.mark.parametrize("role, status, targets", [
    (Role.TOWN_OPERATOR, Status.REPORTED, [Status.REGISTERED, Status.VOID]),
    (Role.DEPARTMENT_HANDLER, Status.DISPATCHED, [Status.IN_PROGRESS, Status.RETURNED]),
    (Role.GRID_WORKER, Status.RESOLVED, [Status.VERIFIED, Status.IN_PROGRESS]),
    (Role.GRID_WORKER, Status.DISPATCHED, [Status.IN_PROGRESS]),   # 就地处置 in their own grids
    (Role.GRID_WORKER, Status.IN_PROGRESS, [Status.RESOLVED]),
    (Role.CITIZEN, Status.REPORTED, []),          # a citizen acts only as the reporter:
    (rules.REPORTER, Status.REPORTED, [Status.VOID]),  # withdrawing their own report
    (Role.PLANNER, Status.REPORTED, []),
    (None, Status.REPORTED, []),
])
def test_allowed_targets(role, status, targets):
    assert rules.allowed_targets(role, status) == targets


def test_deadlines_use_type_hours_then_priority_defaults():
    assert rules.deadlines(reported_at=T0, priority="normal", response_hours=1, resolution_hours=10) == (
        T0 + timedelta(hours=1), T0 + timedelta(hours=10))
    assert rules.deadlines(reported_at=T0, priority="urgent", response_hours=None, resolution_hours=0) == (
        T0 + timedelta(hours=0.5), T0 + timedelta(hours=4))


@pytest.mark.parametrize("status, hours, level", [
    (Status.REPORTED, 1, 0), (Status.REPORTED, 3, 1), (Status.REPORTED, 30, 2),
    (Status.IN_PROGRESS, 3, 0), (Status.IN_PROGRESS, 30, 2),
    (Status.RESOLVED, 30, 0), (Status.CLOSED, 300, 0), (Status.RETURNED, 3, 1),
])
def test_breach_level(status, hours, level):
    assert rules.breach_level(status=status, now=T0 + timedelta(hours=hours), response_deadline=T0 + timedelta(hours=2),
                              resolution_deadline=T0 + timedelta(hours=24)) == level


def candidate(rule_id, level, by_type, dept=1):
    return rules.RuleCandidate(rule_id=rule_id, zone_level=level, zone_code="440604", zone_name="z",
                               by_event_type=by_type, department_id=dept, department_name="d")


def test_most_specific_zone_wins_then_type_over_category():
    district_type = candidate(1, 0, True)
    town_category = candidate(2, 1, False)
    grid_category = candidate(3, 4, False)
    grid_type = candidate(4, 4, True)
    assert rules.choose_rule([]) is None
    assert rules.choose_rule([district_type, town_category]) is town_category
    assert rules.choose_rule([district_type, town_category, grid_category]) is grid_category
    assert rules.choose_rule([grid_type, grid_category, town_category]) is grid_type
