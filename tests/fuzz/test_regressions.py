"""Inputs that used to answer 500, each now a 400 naming the field (found by the fuzzers)."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.security.world import NANZHUANG, build_world, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return build_world()


def as_role(world, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world['users'][role])}")
    return client


def assert_bad_input(response, field):
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("url_name,role", [
    ("ledger-api:vendors", "justice_officer"), ("ledger-api:notarisations", "justice_officer"),
    ("ledger-api:checkins", "justice_officer"), ("ledger-api:persons", "justice_officer"),
    ("ledger-api:identity-attest", "counter_clerk"),  # only clerks and district operators attest
])
def test_ledger_writes_refuse_a_json_array_body(world, url_name, role):
    response = as_role(world, role).post(reverse(url_name), [None, None], format="json")
    assert_bad_input(response, "body")


@pytest.mark.parametrize("extra,field", [({"user_id": "abc"}, "user_id"), ({"home_radius_m": "abc"}, "home_radius_m"),
                                         ({"home_radius_m": -5}, "home_radius_m"),
                                         ({"home_radius_m": 10**12}, "home_radius_m")])
def test_supervision_numbers_are_checked(world, extra, field):
    body = {"case_no": "SQ-9", "name": "某", "zone_codes": [NANZHUANG], **extra}
    response = as_role(world, "justice_officer").post(reverse("ledger-api:persons"), body, format="json")
    assert_bad_input(response, field)


IMPOSSIBLE = "2024-02-30T10:00:00+08:00"


def test_checkin_at_an_impossible_time(world):
    body = {"case_no": "SQ-1", "lon": 113.01, "lat": 23.005, "at": IMPOSSIBLE}
    assert_bad_input(as_role(world, "justice_officer").post(reverse("ledger-api:checkins"), body, format="json"), "at")


def test_incident_list_since_an_impossible_time(world):
    response = as_role(world, "district_operator").get(reverse("incident-list"), {"since": IMPOSSIBLE})
    assert_bad_input(response, "since")


def test_worker_ping_at_an_impossible_time(world):
    pings = {"pings": [{"lon": 113.01, "lat": 23.005, "recorded_at": IMPOSSIBLE}]}
    response = as_role(world, "grid_worker").post(reverse("worker-positions"), pings, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"].endswith("recorded_at")


@pytest.mark.parametrize("value", [IMPOSSIBLE, "2024-02-30", "9999-12-31"])
def test_tile_until_an_impossible_day(world, value):
    response = as_role(world, "district_operator").get(
        reverse("tile", args=["incidents", 14, 13336, 7112]), {"until": value})
    assert_bad_input(response, "until")


def test_tile_until_a_day_includes_that_day():
    from gridops.incidents.filters import MomentField

    assert MomentField(end=True).clean("2024-06-01").isoformat() == "2024-06-02T00:00:00+08:00"
    assert MomentField().clean("2024-06-01").isoformat() == "2024-06-01T00:00:00+08:00"


@pytest.fixture
def emergency_world(world):
    from tests.fuzz.conftest import fuzz_objects

    return world | fuzz_objects(world)


@pytest.mark.parametrize("status", [["acknowledged"], {"a": 1}, 5])
def test_emergency_task_status_of_the_wrong_type(emergency_world, status):
    """A list as the task's status was looked up in a dict (TypeError: unhashable)."""
    task = emergency_world["emergency_task"]
    response = as_role(emergency_world, "grid_worker").post(f"/api/v1/emergencies/tasks/{task.pk}/", {"status": status},
                                                            format="json")
    assert_bad_input(response, "status")


@pytest.mark.parametrize("title", [["内涝"], {"a": 1}, 5])
def test_emergency_title_of_the_wrong_type(emergency_world, title):
    """A title that is not text had `.strip()` called on it (AttributeError)."""
    response = as_role(emergency_world, "district_operator").post(
        "/api/v1/emergencies/", {"kind": "flood", "title": title, "area": {"zones": ["44060410101001001"]}}, format="json")
    assert_bad_input(response, "title")
