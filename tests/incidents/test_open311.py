"""Open311 GeoReport v2 at /open311/v2/: services, definitions, POST/GET requests, JSON and XML."""
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone
from prcoords import wgs_gcj

from gridops.incidents.catalogue import DEMO_DIR, import_catalogue
from gridops.incidents.models import CategoryKind, EventType, Incident, Source, Status
from gridops.incidents.services.intake import incident_report

from .factories import NZ_POINT, OUTSIDE, ZM_POINT, CategoryFactory, EventTypeFactory
from .open311_support import url

KEY = "test-key-123"


@pytest.fixture(autouse=True)
def api_keys(settings):
    settings.GRIDOPS_OPEN311_API_KEYS = {KEY: "civic-app"}


def report(world, type_key="manhole", point=NZ_POINT, days_ago=0, **kwargs):
    when = timezone.now() - timedelta(days=days_ago)
    incident, _ = incident_report(reporter=None, lon=point[0], lat=point[1], event_type=world["types"][type_key],
                                  source=Source.HOTLINE, reported_at=when, **kwargs)
    return incident


def assert_open311_error(response, status, fragment=""):
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status
    assert fragment in body[0]["description"]


# --- services ----------------------------------------------------------------------------------

def test_services_json_lists_every_active_type(client, world):
    EventTypeFactory(code="9999999", name="停用类型", active=False)
    response = client.get(url("open311-services"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    services = {s["service_code"]: s for s in response.json()}
    assert set(services) == {"0101001", "0101002", "0901001"}
    manhole = services["0101001"]
    assert manhole["service_name"] == "井盖缺失"
    assert manhole["group"] == "市容环境"
    assert manhole["metadata"] is False and manhole["type"] == "realtime"
    assert manhole["keywords"] == "窨井,下水道"
    assert "城市管理和综合执法局" in manhole["description"]
    assert "区指挥中心" in services["0901001"]["description"]  # emergencies say so


def test_services_xml(client, world):
    response = client.get(url("open311-services", "xml"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == ["0101001", "0101002", "0901001"]
    assert root.find("service").findtext("metadata") == "false"
    assert root.find("service").findtext("group") == "市容环境"


def test_services_json_lists_the_whole_public_catalogue(client, db):
    """1,894 types, of which the 384 social-governance ones are not offered (docs/open311.md)."""
    assert import_catalogue(DEMO_DIR, commit=True).ok
    services = client.get(url("open311-services")).json()
    offered = EventType.objects.filter(active=True).exclude(category__kind=CategoryKind.SOCIAL)
    assert EventType.objects.filter(active=True).count() - offered.count() == 384
    assert len(services) == len({s["service_code"] for s in services}) == offered.count() == 1510
    assert {s["group"] for s in services} == set(offered.values_list("category__name", flat=True))


def test_service_definition_json_and_xml(client, world):
    body = client.get(url("open311-service", service_code="0101001")).json()
    assert body == {"service_code": "0101001", "attributes": []}
    root = ET.fromstring(client.get(url("open311-service", "xml", service_code="0101001")).content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "0101001"
    assert root.find("attributes") is not None


def test_service_definition_unknown_code_is_404(client, world):
    assert_open311_error(client.get(url("open311-service", service_code="nope")), 404, "nope")
    response = client.get(url("open311-service", "xml", service_code="nope"))
    assert response.status_code == 404
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and root.find("error").findtext("code") == "404"


def test_unsupported_format_and_method(client, world):
    assert_open311_error(client.get(url("open311-services", "csv")), 404, "format")
    response = client.post(url("open311-services"))
    assert_open311_error(response, 405)
    assert response["Allow"] == "GET, HEAD"


def test_other_jurisdiction_is_404(client, world, settings):
    settings.GRIDOPS_OPEN311_JURISDICTION_ID = "chancheng.example"
    assert client.get(url("open311-services"), {"jurisdiction_id": "chancheng.example"}).status_code == 200
    assert_open311_error(client.get(url("open311-services"), {"jurisdiction_id": "nanhai.example"}), 404, "jurisdiction")


# --- POST requests -----------------------------------------------------------------------------

def post(client, fmt="json", **params):
    data = {"api_key": KEY, "service_code": "0101001", "lat": NZ_POINT[1], "long": NZ_POINT[0]} | params
    return client.post(url("open311-requests", fmt), {k: v for k, v in data.items() if v is not None})


def test_post_request_creates_a_routed_incident(client, world):
    response = post(client, description="井盖不见了", first_name="小明", last_name="陈", phone="13800000000",
                    email="a@example.com", address_string="南庄大道1号")
    assert response.status_code == 201
    [created] = response.json()
    incident = Incident.objects.get(pk=int(created["service_request_id"]))
    assert incident.source == Source.OPEN311 and incident.reporter is None
    assert incident.event_type.code == "0101001" and incident.department.code == "cg"
    assert incident.town.code == "440604101"
    assert (incident.reporter_name, incident.reporter_phone, incident.reporter_email) == ("陈 小明", "13800000000", "a@example.com")
    assert incident.address == "南庄大道1号"
    assert incident.description == "井盖不见了"  # the client is recorded beside it, not in the public text
    assert incident.open311.client == "civic-app" and incident.open311.key is None
    assert "城市管理和综合执法局" in created["service_notice"]


def test_post_request_xml_and_json_body(client, world):
    response = post(client, "xml")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests" and root.find("request").findtext("service_request_id").isdigit()
    response = client.post(url("open311-requests"), data={"api_key": KEY, "service_code": "0101002",
                                                          "lat": ZM_POINT[1], "long": ZM_POINT[0]},
                           content_type="application/json")
    assert response.status_code == 201
    assert Incident.objects.get(pk=response.json()[0]["service_request_id"]).department.code == "sw"


def test_post_request_converts_gcj02(client, world):
    # A GCJ-02 position is shifted by ~600 m in Foshan; the stored point is WGS84 again.
    shifted = wgs_gcj((NZ_POINT[1], NZ_POINT[0]))
    response = post(client, lat=shifted.lat, long=shifted.lon, crs="gcj02")
    assert response.status_code == 201
    incident = Incident.objects.get(pk=response.json()[0]["service_request_id"])
    assert incident.input_crs == "gcj02"
    assert incident.point.x == pytest.approx(NZ_POINT[0], abs=1e-5)
    assert incident.point.y == pytest.approx(NZ_POINT[1], abs=1e-5)


@pytest.mark.parametrize("params, status, fragment", [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "wrong"}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "0000000"}, 400, "service_code"),
    ({"lat": None}, 400, "lat"),
    ({"long": "east"}, 400, "lon"),
    ({"lat": "95"}, 400, "lat"),
    ({"lat": OUTSIDE[1], "long": OUTSIDE[0]}, 400, "outside"),
    ({"crs": "mars"}, 400, ""),
    ({"accuracy": "-3"}, 400, "accuracy"),
])
def test_post_request_bad_input_is_4xx(client, world, params, status, fragment):
    assert_open311_error(post(client, **params), status, fragment)
    assert not Incident.objects.exists()


def test_post_request_bad_json_and_xml_error(client, world):
    response = client.post(url("open311-requests"), data=b"{not json", content_type="application/json")
    assert_open311_error(response, 400, "JSON")
    response = post(client, "xml", api_key="wrong")
    assert response.status_code == 403
    assert ET.fromstring(response.content).find("error").findtext("code") == "403"


def test_post_without_configured_keys_is_refused(client, world, settings):
    settings.GRIDOPS_OPEN311_API_KEYS = {}
    assert_open311_error(post(client), 403, "api_key")


# --- GET requests ------------------------------------------------------------------------------

def test_get_requests_default_window_is_last_90_days(client, world):
    recent = report(world, days_ago=3)
    report(world, days_ago=120)
    body = client.get(url("open311-requests")).json()
    assert [r["service_request_id"] for r in body] == [str(recent.pk)]
    item = body[0]
    assert item["status"] == "open" and item["service_code"] == "0101001"
    assert item["agency_responsible"] == "城市管理和综合执法局"
    assert item["lat"] == pytest.approx(NZ_POINT[1]) and item["long"] == pytest.approx(NZ_POINT[0])
    assert item["requested_datetime"].endswith("+08:00")
    assert item["expected_datetime"] and item["address"].startswith("南庄镇")


def test_get_requests_hides_personal_data(client, world):
    report(world, reporter_name="陈小明", reporter_phone="13800000000", reporter_email="a@example.com")
    text = client.get(url("open311-requests")).content.decode()
    for secret in ("陈小明", "13800000000", "a@example.com"):
        assert secret not in text


def test_get_requests_filters(client, world):
    manhole = report(world, days_ago=10)
    water = report(world, "waterlog", point=ZM_POINT, days_ago=20)
    Incident.objects.filter(pk=water.pk).update(status=Status.CLOSED)
    ids = lambda **q: {int(r["service_request_id"]) for r in client.get(url("open311-requests"), q).json()}
    assert ids(service_code="0101002") == {water.pk}
    assert ids(service_code="0101001,0101002") == {manhole.pk, water.pk}
    assert ids(status="open") == {manhole.pk}
    assert ids(status="closed") == {water.pk}
    assert ids(status="open,closed") == {manhole.pk, water.pk}
    start = (timezone.now() - timedelta(days=15)).isoformat()
    assert ids(start_date=start) == {manhole.pk}
    end = (timezone.now() - timedelta(days=15)).date().isoformat()
    assert ids(end_date=end) == {water.pk}
    # ids win over every other filter, even outside the window
    old = report(world, days_ago=400)
    assert ids(service_request_id=f"{old.pk},{water.pk}", status="open") == {old.pk, water.pk}


def test_get_requests_plus_sign_in_unencoded_offset(client, world):
    report(world, days_ago=1)
    start = (timezone.localtime() - timedelta(days=2)).isoformat(timespec="seconds")
    response = client.get(url("open311-requests") + "?start_date=" + start)  # '+' arrives as a space
    assert response.status_code == 200 and len(response.json()) == 1


@pytest.mark.parametrize("query, fragment", [
    ({"start_date": "2024-01-01T00:00:00+08:00", "end_date": "2024-06-01T00:00:00+08:00"}, "90 days"),
    ({"start_date": "2024-06-01", "end_date": "2024-01-01"}, "before"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2024-13-45"}, "end_date"),
    ({"status": "pending"}, "status"),
    ({"service_request_id": "1;DROP"}, "service_request_id"),
])
def test_get_requests_bad_filters_are_400(client, world, query, fragment):
    assert_open311_error(client.get(url("open311-requests"), query), 400, fragment)


def test_get_requests_window_limit_is_a_setting(client, world, settings):
    settings.GRIDOPS_OPEN311_MAX_WINDOW_DAYS = 7
    report(world, days_ago=3)
    report(world, days_ago=10)
    assert len(client.get(url("open311-requests")).json()) == 1
    query = {"start_date": "2024-01-01", "end_date": "2024-01-09"}
    assert_open311_error(client.get(url("open311-requests"), query), 400, "7 days")


def test_get_requests_xml(client, world):
    incident = report(world)
    root = ET.fromstring(client.get(url("open311-requests", "xml")).content)
    assert root.tag == "service_requests"
    [item] = root.findall("request")
    assert item.findtext("service_request_id") == str(incident.pk)
    assert item.findtext("status") == "open"
    assert item.findtext("agency_responsible") == "城市管理和综合执法局"
    assert item.find("media_url") is not None and item.findtext("media_url") == ""


def test_social_governance_is_never_listed(client, world):
    social = CategoryFactory(code="21", name="矛盾纠纷", kind=CategoryKind.SOCIAL)
    EventTypeFactory(code="2101001", name="邻里纠纷", category=social, department=world["departments"]["cg"])
    dispute, _ = incident_report(reporter=None, lon=NZ_POINT[0], lat=NZ_POINT[1], event_type="2101001",
                                 source=Source.HOTLINE)
    assert client.get(url("open311-requests")).json() == []
    assert client.get(url("open311-requests"), {"service_request_id": dispute.pk}).json() == []
    assert_open311_error(client.get(url("open311-request", service_request_id=dispute.pk)), 404)
    # ...and so it is not offered: a client could never read its request back.
    assert "2101001" not in {s["service_code"] for s in client.get(url("open311-services")).json()}
    assert_open311_error(client.get(url("open311-service", service_code="2101001")), 404)
    assert_open311_error(post(client, service_code="2101001"), 400, "not offered")
    assert Incident.objects.count() == 1


def test_get_request_detail_json_and_xml(client, world):
    incident = report(world)
    body = client.get(url("open311-request", service_request_id=incident.pk)).json()
    assert len(body) == 1 and body[0]["service_request_id"] == str(incident.pk)
    root = ET.fromstring(client.get(url("open311-request", "xml", service_request_id=incident.pk)).content)
    assert root.find("request").findtext("service_code") == "0101001"


def test_get_request_detail_shows_merge_and_closure(client, world):
    original, duplicate = report(world), report(world)
    Incident.objects.filter(pk=duplicate.pk).update(status=Status.VOID, merged_into=original)
    item = client.get(url("open311-request", service_request_id=duplicate.pk)).json()[0]
    assert item["status"] == "closed" and str(original.pk) in item["status_notes"]


@pytest.mark.parametrize("request_id", ["999999", "abc"])
def test_get_request_detail_unknown_is_404(client, world, request_id):
    assert_open311_error(client.get(url("open311-request", service_request_id=request_id)), 404)
