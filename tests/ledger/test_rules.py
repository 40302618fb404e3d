"""Curfew windows and check-in verdicts (plain functions)."""
from datetime import date, time

import pytest

from gridops.ledger import rules


@pytest.mark.parametrize("now,start,end,expected", [
    (time(23, 0), time(22, 0), time(6, 0), True),
    (time(5, 59), time(22, 0), time(6, 0), True),
    (time(6, 0), time(22, 0), time(6, 0), False),
    (time(12, 0), time(22, 0), time(6, 0), False),
    (time(13, 0), time(12, 0), time(14, 0), True),
    (time(14, 0), time(12, 0), time(14, 0), False),
    (time(23, 0), None, None, False),
    (time(23, 0), time(22, 0), time(22, 0), False),
])
def test_curfew_window(now, start, end, expected):
    assert rules.in_curfew(now, start, end) is expected


BASE = dict(local_date=date(2026, 5, 1), curfew_start=time(22, 0), curfew_end=time(6, 0), home_radius_m=200)


@pytest.mark.parametrize("inside,at,home_m,accuracy,reasons", [
    (True, time(10, 0), 5000, None, []),
    (False, time(10, 0), 5000, None, [rules.OUTSIDE_GEOFENCE]),
    (True, time(23, 0), 150, None, []),
    (True, time(23, 0), 900, None, [rules.CURFEW_AWAY_FROM_HOME]),
    (False, time(2, 0), 900, None, [rules.OUTSIDE_GEOFENCE, rules.CURFEW_AWAY_FROM_HOME]),
    (True, time(23, 0), None, None, []),
    (True, time(10, 0), None, 800.0, [rules.POOR_ACCURACY]),
])
def test_verdicts(inside, at, home_m, accuracy, reasons):
    verdict = rules.judge_checkin(inside_geofence=inside, local_time=at, home_distance_m=home_m, accuracy_m=accuracy, **BASE)
    assert verdict.reasons == reasons
    assert verdict.flagged is bool(reasons)


def test_outside_the_supervision_term_is_flagged():
    verdict = rules.judge_checkin(inside_geofence=True, local_time=time(10, 0), home_distance_m=None,
                                  term_end=date(2026, 4, 30), **BASE)
    assert verdict.reasons == [rules.OUTSIDE_TERM]
