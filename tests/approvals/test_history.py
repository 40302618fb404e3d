"""A generated year reproduces the figures the generator was asked for, through the KPI SQL."""
from datetime import date

import pytest

from gridops.approvals import kpis
from gridops.approvals.history import HistoryRequest, generate_history
from gridops.approvals.models import Case
from gridops.core.errors import InvalidInput

END = date(2025, 12, 31)


@pytest.mark.django_db
@pytest.mark.parametrize("median_minutes, rate", [(7.5, 0.99), (12.0, 0.95)])
def test_kpis_reproduce_the_requested_figures(world, median_minutes, rate):
    request = HistoryRequest(cases=4000, years=1, end=END, seed=7, median_handling_minutes=median_minutes,
                             median_wait_minutes=5.0, satisfaction_rate=rate)
    result = generate_history(request, log=lambda line: None)
    assert result["cases"] == Case.objects.count() == 4000
    (row,) = kpis.kpis(by="district", start=date(2025, 1, 1), end=END)
    assert row["cases"] >= 3990  # a few online cases are accepted the day after the period
    assert abs(row["median_handling_s"] / 60 - median_minutes) < 0.05 * median_minutes
    assert abs(row["median_wait_s"] / 60 - 5.0) < 0.25
    assert abs(row["satisfaction_rate"] - rate) < 0.01
    assert 0 < row["on_the_spot_share"] < 1 and row["cases_per_day"] == pytest.approx(row["cases"] / 365)
    by_department = kpis.kpis(by="department", start=date(2025, 1, 1), end=END)
    assert {r["code"] for r in by_department} == {"shichang", "gongan"}
    assert sum(r["cases"] for r in by_department) == row["cases"]
    assert Case.objects.filter(on_the_spot=True, item__on_the_spot=False).count() == 0


@pytest.mark.django_db
def test_generator_is_repeatable_and_validates(world):
    generate_history(HistoryRequest(cases=50, end=END, seed=3), log=lambda line: None)
    generate_history(HistoryRequest(cases=50, end=END, seed=3), log=lambda line: None)
    assert Case.objects.count() == 100  # numbers continue; applicants are reused by identity
    with pytest.raises(InvalidInput):
        generate_history(HistoryRequest(cases=0), log=lambda line: None)
    with pytest.raises(InvalidInput):
        generate_history(HistoryRequest(cases=10, satisfaction_rate=1.5), log=lambda line: None)


@pytest.mark.django_db
def test_demo_year_reproduces_the_seed_figures(world):
    """The demo's year of cases: satisfaction within 0.5 points of the seed's 95.69 % (the
    generator's default was 99.5 %) and 5–10 minutes at the counter per case."""
    from gridops.approvals.demo import demo_history_request
    from gridops.core.demo import SEED_HANDLING_MINUTES, SEED_SATISFACTION_RATE

    assert HistoryRequest(cases=1).satisfaction_rate == SEED_SATISFACTION_RATE
    generate_history(demo_history_request(end=END), log=lambda line: None)
    (row,) = kpis.kpis(by="district", start=date(2025, 1, 1), end=END)
    assert abs(row["satisfaction_rate"] - SEED_SATISFACTION_RATE) < 0.005, row["satisfaction_rate"]
    low, high = (minutes * 60 for minutes in SEED_HANDLING_MINUTES)
    assert low < row["median_handling_s"] < high
    handling = list(Case.objects.filter(handling_seconds__isnull=False).values_list("handling_seconds", flat=True))
    inside = sum(low <= seconds <= high for seconds in handling) / len(handling)
    assert inside > 0.85, inside


@pytest.mark.django_db
def test_kpis_of_a_town_count_its_halls_cases(world, client):
    """The screen of a town shows the cases accepted at its halls; the API answers the same."""
    from django.urls import reverse

    generate_history(HistoryRequest(cases=1500, end=END, seed=11), log=lambda line: None)
    period = {"start": date(2025, 1, 1), "end": END}
    by_hall = {row["code"]: row for row in kpis.kpis(by="hall", **period)}
    (town,) = kpis.kpis(by="district", zone="440604101", **period)
    assert town["cases"] == by_hall["H440604101"]["cases"] > 0
    assert town["satisfaction_rate"] == by_hall["H440604101"]["satisfaction_rate"]
    assert kpis.kpis(by="district", zone="440604", **period) == kpis.kpis(by="district", **period)
    client.force_login(world["operator"])
    answer = client.get(reverse("approvals-kpis"), {"by": "district", "zone": "440604101", "start": "2025-01-01",
                                                    "end": END.isoformat()}).json()
    assert answer["rows"][0]["cases"] == town["cases"]
    bad = client.get(reverse("approvals-kpis"), {"by": "district", "zone": "4406x", "start": "2025-01-01",
                                                 "end": END.isoformat()})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "zone"
