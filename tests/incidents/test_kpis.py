"""KPIs: counts by status, 办结率, on-time rates and medians, filtered and grouped, per visibility."""
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridops.core.errors import InvalidInput, NotFound
from gridops.incidents.kpis import KpiQuery, incident_kpis
from gridops.incidents.models import Incident, Source, Status
from gridops.incidents.services.intake import incident_report

from .factories import NANZHUANG, NZ_GRID1, NZ_POINT, NZ_POINT2, ZM_POINT, ZUMIAO

T0 = timezone.make_aware(datetime(2024, 7, 1, 9, 0))


def make(world, point, type_key, *, status, reported=T0, dispatch_min=None, resolve_h=None, deadline_h=24):
    incident, _ = incident_report(reporter=None, lon=point[0], lat=point[1], event_type=world["types"][type_key],
                                  source=Source.HOTLINE, reported_at=reported)
    fields = {"status": status, "resolution_deadline": reported + timedelta(hours=deadline_h),
              "response_deadline": reported + timedelta(hours=2),
              "dispatched_at": reported + timedelta(minutes=dispatch_min) if dispatch_min is not None else None,
              "resolved_at": reported + timedelta(hours=resolve_h) if resolve_h is not None else None}
    Incident.objects.filter(pk=incident.pk).update(**fields)
    return incident


@pytest.fixture
def cases(world):
    """Four in 南庄 (城管's manhole type), one in 祖庙 (水务's waterlogging type)."""
    return {
        "closed_on_time": make(world, NZ_POINT, "manhole", status=Status.CLOSED, dispatch_min=10, resolve_h=2),
        "resolved_late": make(world, NZ_POINT2, "manhole", status=Status.RESOLVED, dispatch_min=30, resolve_h=30),
        "void": make(world, NZ_POINT, "manhole", status=Status.VOID),
        "in_progress": make(world, NZ_POINT, "manhole", status=Status.IN_PROGRESS, dispatch_min=20,
                            reported=T0 + timedelta(days=40)),
        "zm_verified": make(world, ZM_POINT, "waterlog", status=Status.VERIFIED, dispatch_min=60, resolve_h=5,
                            deadline_h=72),
    }


def kpis(world, user="district_op", **query):
    return incident_kpis(world["users"][user], KpiQuery(**query), now=T0 + timedelta(days=60))


def test_overall_metrics(world, cases):
    overall = kpis(world)["overall"]
    assert overall["total"] == 5 and overall["void"] == 1 and overall["open"] == 1
    assert overall["by_status"][Status.CLOSED] == 1 and overall["by_status"][Status.REPORTED] == 0
    assert overall["resolved_or_later"] == 3
    assert overall["closure_rate"] == 0.75  # 3 of the 4 not voided
    assert overall["on_time_rate"] == pytest.approx(2 / 3, abs=1e-4)  # the 30 h one missed 24 h
    assert overall["median_dispatch_minutes"] == 25.0  # median of 10, 20, 30, 60
    assert overall["median_resolve_hours"] == 5.0  # median of 2, 5, 30
    assert overall["overdue_open"] == 1  # the in-progress one is past its deadline at T0+60d
    # Dispatched at some point, whatever the status now (the screen's "dispatched today"); the
    # status count of the same name is only those waiting at 派遣 now.
    assert overall["ever_dispatched"] == 4 and overall["by_status"][Status.DISPATCHED] == 0


@pytest.mark.parametrize("user, total", [
    ("district_op", 5), ("nanzhuang_op", 4), ("zumiao_op", 1), ("cg_handler", 3),  # dispatched to 城管 only
    ("sw_handler", 1), ("nz_worker", 3), ("citizen", 0), ("planner", 0),
])
def test_kpis_honour_visibility(world, cases, user, total):
    assert kpis(world, user)["overall"]["total"] == total


def test_empty_set_has_no_rates(world):
    overall = kpis(world, "citizen")["overall"]
    assert overall["total"] == 0
    assert overall["closure_rate"] is None and overall["median_dispatch_minutes"] is None


@pytest.mark.parametrize("query, total", [
    ({"zone": NANZHUANG}, 4), ({"zone": ZUMIAO}, 1), ({"zone": NZ_GRID1}, 3), ({"zone": "440604"}, 5),
    ({"zone": NANZHUANG + "01"}, 4), ({"department": "sw"}, 1), ({"department": "cg"}, 4),
    ({"category": "01"}, 5), ({"category": "09"}, 0),
    ({"start": T0.date() + timedelta(days=1)}, 1), ({"end": T0.date()}, 4),
    ({"start": T0.date(), "end": T0.date(), "zone": NANZHUANG}, 3),
])
def test_filters(world, cases, query, total):
    assert kpis(world, **query)["overall"]["total"] == total


def test_group_by_town_and_month(world, cases):
    towns = {g["key"]: g for g in kpis(world, group_by="town")["groups"]}
    assert set(towns) == {NANZHUANG, ZUMIAO}
    assert towns[NANZHUANG]["label"] == "南庄镇" and towns[NANZHUANG]["total"] == 4
    assert towns[ZUMIAO]["closure_rate"] == 1.0 and towns[ZUMIAO]["median_resolve_hours"] == 5.0
    months = {g["key"]: g["total"] for g in kpis(world, group_by="month")["groups"]}
    assert months == {"2024-07-01": 4, "2024-08-01": 1}
    statuses = {g["key"]: g["label"] for g in kpis(world, group_by="status")["groups"]}
    assert statuses[Status.VOID] == "作废"


def test_group_by_respects_visibility(world, cases):
    groups = kpis(world, "zumiao_op", group_by="department")["groups"]
    assert [(g["key"], g["total"]) for g in groups] == [("sw", 1)]


@pytest.mark.parametrize("query, error", [
    ({"zone": "440604999"}, NotFound), ({"department": "nope"}, NotFound), ({"category": "99"}, NotFound),
    ({"group_by": "colour"}, InvalidInput),
    ({"start": T0.date(), "end": T0.date() - timedelta(days=1)}, InvalidInput),
])
def test_bad_queries(world, query, error):
    with pytest.raises(error):
        kpis(world, **query)


# --- API ---------------------------------------------------------------------------------------

def api(world, user=None):
    client = APIClient()
    if user:
        client.force_authenticate(world["users"][user])
    return client


def test_api_returns_kpis(world, cases):
    response = api(world, "nanzhuang_op").get(reverse("incident-kpis"), {"group_by": "grid", "end": "2024-07-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["overall"]["total"] == 3 and body["filters"] == {"group_by": "grid", "end": "2024-07-01"}
    assert sum(g["total"] for g in body["groups"]) == 3


@pytest.mark.parametrize("params, status, field", [
    ({"group_by": "colour"}, 400, "group_by"), ({"start": "July"}, 400, "start"),
    ({"zone": "440604999"}, 404, "zone"), ({"department": "nope"}, 404, "department"),
])
def test_api_bad_input(world, params, status, field):
    response = api(world, "district_op").get(reverse("incident-kpis"), params)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_api_needs_authentication(world):
    assert api(world).get(reverse("incident-kpis")).status_code == 401
