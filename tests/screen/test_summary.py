"""Every figure of the screen equals the KPI API's figure for the same viewer, zone and period."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridops.core.demo import SEED_CLOSURE_RATE, SEED_SATISFACTION_RATE
from gridops.screen import selectors
from tests.incidents.factories import NANZHUANG, NZ_POINT, ZUMIAO

from .world import incident

DISTRICT = "440604"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def get(client, name, params=None, args=None):
    response = client.get(reverse(name, args=args or []), params or {})
    assert response.status_code == 200, response.content
    return response.json()


def summary(world, user="screen", **params):
    return get(client_for(world["users"][user]), "screen-summary", params)


def incident_api(client, zone, start, end, group_by=None):
    params = {"zone": zone, "start": start, "end": end} | ({"group_by": group_by} if group_by else {})
    return get(client, "incident-kpis", params)


def check_against_apis(world, user: str, zone: str) -> dict:
    """The screen's answer for `user` and `zone`, checked figure by figure against the APIs."""
    body = summary(world, user, zone=zone)
    client = client_for(world["users"][user])
    today, start = body["today"], body["period"]["start"]
    incidents = body["incidents"]
    assert incidents["today"] == incident_api(client, zone, today, today)["overall"]
    period = incident_api(client, zone, start, today, "category")
    assert incidents["period"] == period["overall"]
    top = sorted(period["groups"], key=lambda g: (-g["total"], g["key"]))[:selectors.TOP_CATEGORIES]
    assert incidents["categories"] == [{"code": g["key"], "label": g["label"], "total": g["total"]} for g in top]
    group_by = "town" if zone == DISTRICT else "area"
    ranked = incident_api(client, zone, start, today, group_by)["groups"]
    assert incidents["ranking"]["level"] == group_by
    assert {r["code"]: (r["total"], r["closure_rate"], r["on_time_rate"]) for r in incidents["ranking"]["rows"]} == {
        g["key"]: (g["total"], g["closure_rate"], g["on_time_rate"]) for g in ranked}
    first = (timezone.localdate() - timedelta(days=selectors.TREND_DAYS - 1)).isoformat()
    days = {g["key"]: (g["total"], g["resolved_or_later"]) for g in incident_api(client, zone, first, today, "day")["groups"]}
    assert len(incidents["trend"]) == selectors.TREND_DAYS
    assert {d["day"]: (d["total"], d["resolved_or_later"]) for d in incidents["trend"] if d["total"]} == days

    for key, (first_day, last_day) in {"today": (today, today), "period": (start, today)}.items():
        rows = get(client, "approvals-kpis", {"by": "district", "zone": zone, "start": first_day, "end": last_day})["rows"]
        expected = rows[0] if rows else {"cases": 0, "median_handling_s": None, "median_wait_s": None,
                                         "satisfaction_rate": None}
        assert body["approvals"][key] == {k: expected[k] for k in body["approvals"][key]}, key

    planner = client_for(world["users"]["planner"])
    plan = body["seats"]["plan"]["id"]
    towns = [row for row in get(planner, "education-balance", args=[plan])["towns"] if row["town"].startswith(zone)]
    assert [{k: v for k, v in row.items() if k != "name"} for row in body["seats"]["towns"]] == towns

    head = get(client, "ledger-api:head-latest")
    assert body["ledger"]["head"]["root_hash"] == head["root_hash"] and body["ledger"]["head"]["tree_size"] == head["tree_size"]
    assert body["ledger"]["size"] == head["tree_size"] == 2
    return body


@pytest.mark.django_db
def test_district_screen_equals_the_kpi_apis(world):
    body = check_against_apis(world, "screen", DISTRICT)
    incidents = body["incidents"]
    assert incidents["today"]["total"] == 4 and incidents["today"]["ever_dispatched"] == 4
    assert incidents["today"]["resolved_or_later"] == 2
    assert {r["code"] for r in incidents["ranking"]["rows"]} == {NANZHUANG, ZUMIAO}
    assert body["approvals"]["period"]["cases"] > 0
    assert {row["town"] for row in body["seats"]["towns"]} == {NANZHUANG, ZUMIAO}
    assert len(incidents["feed"]) == 11 and {item["town_code"] for item in incidents["feed"]} == {NANZHUANG, ZUMIAO}


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["nz_screen", "screen", "nanzhuang_op"])
def test_town_screen_shows_only_its_town(world, user):
    body = check_against_apis(world, user, NANZHUANG)
    incidents = body["incidents"]
    assert body["zone"]["code"] == NANZHUANG and incidents["today"]["total"] == 3
    assert {item["town_code"] for item in incidents["feed"]} == {NANZHUANG} and len(incidents["feed"]) == 8
    assert [row["code"] for row in incidents["ranking"]["rows"]] == [NANZHUANG + "01"]
    assert {row["town"] for row in body["seats"]["towns"]} == {NANZHUANG}
    district = summary(world, "screen", zone=DISTRICT)
    assert 0 < body["approvals"]["period"]["cases"] < district["approvals"]["period"]["cases"]


@pytest.mark.django_db
def test_a_town_account_sees_its_own_town_and_no_other(world):
    nz = client_for(world["users"]["nz_screen"])
    assert get(nz, "screen-summary")["zone"]["code"] == NANZHUANG  # its jurisdiction by default
    for zone in (DISTRICT, ZUMIAO):
        answer = nz.get(reverse("screen-summary"), {"zone": zone})
        assert answer.status_code == 403 and answer.json()["error"]["field"] == "zone"


@pytest.mark.django_db
@pytest.mark.parametrize("params, status, field", [
    ({"zone": "440604999"}, 404, "zone"), ({"zone": "44060410101"}, 400, "zone"), ({"days": "0"}, 400, "days"),
    ({"days": "367"}, 400, "days"), ({"days": "x"}, 400, "days"), ({"part": "most"}, 400, "part"),
])
def test_bad_input_names_the_field(world, params, status, field):
    answer = client_for(world["users"]["screen"]).get(reverse("screen-summary"), params)
    assert answer.status_code == status and answer.json()["error"]["field"] == field


@pytest.mark.django_db
@pytest.mark.parametrize("user, status", [(None, 401), ("citizen", 403), ("cg_handler", 403), ("planner", 403),
                                          ("district_op", 200), ("screen", 200)])
def test_who_may_look(world, user, status):
    client = client_for(world["users"][user]) if user else APIClient()
    assert client.get(reverse("screen-summary")).status_code == status


@pytest.mark.django_db
def test_live_part_is_what_a_report_changes(world):
    before = summary(world, part="live")
    assert set(before["incidents"]) == {"today", "period", "trend", "feed"} and "approvals" not in before
    new = incident(world, NZ_POINT, "manhole")
    after = summary(world, part="live")
    assert after["incidents"]["today"]["total"] == before["incidents"]["today"]["total"] + 1
    assert after["incidents"]["feed"][0]["id"] == new.pk
    assert after["incidents"]["trend"][-1]["total"] == before["incidents"]["trend"][-1]["total"] + 1
    assert after["incidents"]["period"]["total"] == before["incidents"]["period"]["total"] + 1
    assert after["incidents"]["period"] == summary(world)["incidents"]["period"]


@pytest.mark.django_db
def test_seed_figures_only_in_the_demo(world, settings):
    settings.GRIDOPS_DEMO = False
    assert summary(world)["seed"] is None
    settings.GRIDOPS_DEMO = True
    seed = summary(world)["seed"]
    assert seed["closure_rate"] == SEED_CLOSURE_RATE == 0.9856
    assert seed["satisfaction_rate"] == SEED_SATISFACTION_RATE == 0.9569 and seed["handling_minutes"] == [5, 10]
