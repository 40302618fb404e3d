"""Inputs an integrator sent that answered 500 (issue 14, issue 11 finding 8): each is now a 4xx
naming the field, in the API's error shape (Open311's own shape under /open311/)."""
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridops.core.inputs import json_body, max_json_depth
from gridops.core.errors import GridOpsError
from tests.security.world import NANZHUANG, NZ_POINT, token_for

pytestmark = pytest.mark.django_db

NESTED_OBJECTS = '{"a":' * 2000 + "1" + "}" * 2000
NESTED_ARRAYS = "[" * 3000  # truncated as well: the parser recursed before it saw the end
OPEN311_KEY = "bad-input-311"


@pytest.fixture(autouse=True)
def open311_key(settings):
    settings.GRIDOPS_OPEN311_API_KEYS = {OPEN311_KEY: "bad-input"}


def as_role(world, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world['users'][role])}")
    return client


def assert_field(response, field, status=400):
    assert response.status_code == status, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["field"] == field and error["message"], error
    return error


def assert_open311(response, status, fragment):
    assert response.status_code == status, (response.status_code, response.content[:300])
    [error] = response.json()
    assert error["code"] == status and fragment in error["description"], error


def whatif_url(world):
    return reverse("education-whatif", kwargs={"pk": world["plan"].pk})


# --- deeply nested JSON ------------------------------------------------------------------------

@pytest.mark.parametrize("body", [NESTED_OBJECTS, NESTED_ARRAYS], ids=["objects", "arrays"])
@pytest.mark.parametrize("role,url_of", [
    ("anonymous", lambda w: reverse("locate")),
    ("citizen", lambda w: reverse("incident-list")),
    ("planner", whatif_url),
])
def test_deeply_nested_json_is_a_400(shared_world, body, role, url_of):
    client = APIClient() if role == "anonymous" else as_role(shared_world, role)
    response = client.post(url_of(shared_world), body, content_type="application/json")
    assert_field(response, "body")


@pytest.mark.parametrize("body", [NESTED_OBJECTS, NESTED_ARRAYS], ids=["objects", "arrays"])
def test_deeply_nested_json_to_open311_is_a_400(client, shared_world, body):
    response = client.post(reverse("open311-requests", kwargs={"fmt": "json"}), body, content_type="application/json")
    assert_open311(response, 400, "nested")


def test_depth_just_inside_the_limit_is_parsed_and_one_more_is_not():
    inside = "[" * max_json_depth() + "]" * max_json_depth()
    assert json_body(inside.encode()) is not None
    with pytest.raises(GridOpsError, match="nested"):
        json_body(("[" + inside + "]").encode())


# --- what-if types -----------------------------------------------------------------------------

@pytest.mark.parametrize("body,field", [
    ({"new_schools": 5}, "new_schools"),
    ({"moves": [{"grids": ["44060400101001001"], "to": []}]}, "moves[0].to"),
    ({"moves": [{"grids": ["44060400101001001"], "to": {}}]}, "moves[0].to"),
    ({"moves": [{"grids": ["44060400101001001"], "to": "P1"}, {"grids": ["44060400101001001"], "to": {}}]},
     "moves[1].to"),
    ({"moves": [{"grids": ["44060400101001001"], "to": "P1\x00"}]}, "moves[0].to"),
    ({"moves": [{"grids": ["4406040010100\x001001"], "to": "P1"}]}, "moves[0].grids[0]"),
    ({"moves": 7}, "moves"),
    ({"new_schools": [{"level": "primary", "lon": [], "lat": 23, "seats_per_grade": 40}]}, "new_schools[0].lon"),
])
def test_whatif_wrong_types_name_the_field(shared_world, body, field):
    response = as_role(shared_world, "planner").post(whatif_url(shared_world), body, format="json")
    assert_field(response, field)


# --- NUL characters (issue 11 finding 8) -------------------------------------------------------

def test_nul_in_a_path_parameter(client, shared_world):
    assert_field(client.get("/api/v1/zones/44%00"), "code")
    response = client.get("/open311/v2/services/01%0001.json")
    assert_open311(response, 400, "NUL")


@pytest.mark.parametrize("role,url,param", [
    ("citizen", "approvals-cases", "state"),
    ("citizen", "approvals-cases", "channel"),
    ("anonymous", "approvals-items", "department"),
    ("anonymous", "approvals-items", "q"),
    ("district_operator", "ledger-api:vendors", "market"),
    ("justice_officer", "ledger-api:checkins", "case_no"),
    ("district_operator", "incident-list", "status"),
])
def test_nul_in_a_query_parameter(shared_world, role, url, param):
    client = APIClient() if role == "anonymous" else as_role(shared_world, role)
    assert_field(client.get(reverse(url), {param: "a\x00b"}), param)


def test_nul_in_a_json_body_and_key(shared_world):
    officer = as_role(shared_world, "justice_officer")
    body = {"case_no": "SQ-1\x00", "lon": NZ_POINT[0], "lat": NZ_POINT[1]}
    assert_field(officer.post(reverse("ledger-api:checkins"), body, format="json"), "case_no")
    response = officer.post(reverse("ledger-api:checkins"), json.dumps({"ca\x00se": 1}), content_type="application/json")
    assert_field(response, "ca\\x00se")


def test_nul_in_a_form_body(shared_world):
    response = as_role(shared_world, "district_operator").post(
        reverse("ledger-api:vendors"), {"name": "x", "market": "南庄\x00", "zone": NANZHUANG})
    assert_field(response, "market")


@pytest.mark.parametrize("how", ["form", "json", "query"])
def test_nul_in_open311_service_code(client, shared_world, how):
    url = reverse("open311-requests", kwargs={"fmt": "json"})
    fields = {"api_key": OPEN311_KEY, "service_code": "0101\x00001", "lat": NZ_POINT[1], "long": NZ_POINT[0]}
    if how == "form":
        response = client.post(url, fields)
    elif how == "json":
        response = client.post(url, fields, content_type="application/json")
    else:
        response = client.get(url, {"service_code": "0101\x00001"})
    assert_open311(response, 400, "service_code")


def test_nul_in_open311_xml_answers_in_xml(client, shared_world):
    response = client.get(reverse("open311-requests", kwargs={"fmt": "xml"}), {"status": "\x00"})
    assert response.status_code == 400 and b"<errors><error><code>400</code>" in response.content


# --- coordinates outside where GCJ-02 / BD-09 are defined --------------------------------------

@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
@pytest.mark.parametrize("lon,lat", [(-180, -90), (180, 90), (0, 0), (-180, 90)])
def test_locate_at_the_poles_in_chinese_crs_is_not_a_500(client, shared_world, crs, lon, lat):
    response = client.get(reverse("locate"), {"lon": lon, "lat": lat, "crs": crs})
    assert response.status_code == 404 and response.json()["error"]["code"] == "outside_district"
