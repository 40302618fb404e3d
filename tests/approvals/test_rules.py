"""Business rules as plain functions: working days, transitions, satisfaction, uploads, identity."""
from datetime import date, datetime

import pytest

from gridops.approvals import rules
from gridops.core.errors import Conflict, InvalidInput
from gridops.core.resident_id import resident_id_valid, resident_id_with_check

CALENDAR = {"off": ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06"], "work": ["2025-09-28", "2025-10-11"]}


@pytest.mark.parametrize("start, days, due", [
    (date(2025, 9, 1), 0, date(2025, 9, 1)),     # 即办: due the same day
    (date(2025, 9, 1), 1, date(2025, 9, 2)),
    (date(2025, 9, 5), 1, date(2025, 9, 8)),     # Friday + 1 -> Monday
    (date(2025, 9, 26), 1, date(2025, 9, 28)),   # a worked Sunday (调休) counts
    (date(2025, 9, 30), 2, date(2025, 10, 8)),   # holidays skipped: 7th and 8th are working here
    (date(2025, 10, 10), 1, date(2025, 10, 11)),  # worked Saturday
])
def test_add_working_days(start, days, due):
    assert rules.add_working_days(start, days, CALENDAR) == due
    assert rules.working_days_between(start, due, CALENDAR) == days


def test_negative_limit_is_refused():
    with pytest.raises(InvalidInput):
        rules.add_working_days(date(2025, 1, 1), -1, CALENDAR)


@pytest.mark.parametrize("state, action, target", [
    ("submitted", "accept", "accepted"), ("accepted", "review", "review"), ("review", "approve", "approved"),
    ("accepted", "approve", "approved"), ("review", "refuse", "refused"), ("review", "return", "returned"),
    ("returned", "resubmit", "review"), ("approved", "deliver", "delivered"), ("refused", "deliver", "delivered"),
])
def test_allowed_transitions(state, action, target):
    assert rules.next_state(state, action) == target
    assert action in rules.actions_from(state)


@pytest.mark.parametrize("state, action", [
    ("submitted", "approve"), ("delivered", "approve"), ("approved", "review"), ("returned", "deliver"),
    ("delivered", "deliver"), ("review", "accept"),
])
def test_refused_transitions_are_conflicts(state, action):
    with pytest.raises(Conflict) as exc:
        rules.next_state(state, action)
    assert exc.value.status == 409 and exc.value.field == "action"


def test_unknown_action_is_invalid():
    with pytest.raises(InvalidInput):
        rules.next_state("review", "bless")


@pytest.mark.parametrize("counts, rate", [
    ((90, 8, 2), 0.98), ((0, 0, 5), 0.0), ((1, 0, 0), 1.0), ((0, 0, 0), None), ((95, 5, 0), 1.0),
])
def test_satisfaction_rate_counts_basic_as_satisfied(counts, rate):
    assert rules.satisfaction_rate(*counts) == rate


def test_masks():
    assert rules.mask_name("张三丰") == "张**"
    assert rules.mask_name("佛山市禅城区某某有限公司").startswith("佛山*")
    assert rules.mask_id_number("440604199001011237") == "4406**********1237"
    assert rules.mask_phone("13800001234") == "138****1234"


def test_identity_numbers():
    number = resident_id_with_check("44060419900101123")
    assert resident_id_valid(number)
    assert not resident_id_valid(number[:-1] + ("0" if number[-1] != "0" else "1"))
    uscc = rules.uscc_with_check("91440604000000001")
    assert rules.uscc_valid(uscc) and rules.normalise_id_number("company", uscc.lower()) == uscc
    with pytest.raises(InvalidInput) as exc:
        rules.normalise_id_number("person", "123")
    assert exc.value.field == "id_number"


def test_opening_hours():
    hours = {"mon": [["09:00", "12:00"], ["13:30", "17:30"]]}
    assert rules.is_open_at(hours, datetime(2025, 9, 1, 9, 0), CALENDAR)
    assert not rules.is_open_at(hours, datetime(2025, 9, 1, 12, 30), CALENDAR)
    assert not rules.is_open_at(hours, datetime(2025, 9, 2, 10, 0), CALENDAR)  # no Tuesday hours
    with pytest.raises(InvalidInput):
        rules.parse_hours({"mon": [["12:00", "09:00"]]})
    with pytest.raises(InvalidInput):
        rules.parse_hours({"funday": []})


def test_names_compare_without_width_case_or_spaces():
    assert rules.same_name("张三", " 张 三 ") and rules.same_name("ＺＨＡＮＧ San", "zhang san")
    assert not rules.same_name("张三", "李四") and not rules.same_name("张三", "")
