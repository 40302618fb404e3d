"""The plain rules: transition table and rule choice (deadlines and breaches: test_sla.py)."""
import pytest

from gridops.accounts.models import Role
from gridops.incidents import rules
from gridops.incidents.models import Status


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
