"""The incident REST API: tablet intake, photos, transitions with 409, filters, catalogue, schema."""
import io

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridops.incidents.models import Incident, IncidentPhoto, Status, WorkerPosition
from tests.images import JPEG, PNG, WEBP  # real images: uploads are decoded

from .factories import NZ_GRID1, NZ_POINT, OUTSIDE, ZM_POINT

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def tablet_report(client, **overrides):
    body = {"event_type": "0101001", "lon": NZ_POINT[0], "lat": NZ_POINT[1], "accuracy_m": 8,
            "description": "井盖缺失 <script>alert(1)</script>", "client_key": "tab-1"}
    body.update(overrides)
    return client.post(reverse("incident-list"), body, format="json")


def test_tablet_report_then_retry(world):
    client = client_for(world["users"]["nz_worker"])
    first = tablet_report(client)
    assert first.status_code == 201, first.content
    feature = first.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "Point"
    props = feature["properties"]
    assert props["status"] == "dispatched" and props["department"]["code"] == "cg"
    assert props["grid"]["code"] == NZ_GRID1 and props["command_centre"]["name"] == "南庄镇分中心"
    retry = tablet_report(client)
    assert retry.status_code == 200
    assert retry.json()["id"] == feature["id"]
    assert Incident.objects.count() == 1


def test_anonymous_gets_401(world):
    response = APIClient().post(reverse("incident-list"), {}, format="json")
    assert response.status_code == 401
    assert APIClient().get(reverse("incident-list")).status_code == 401


@pytest.mark.parametrize("overrides, field, code", [
    ({"lon": OUTSIDE[0], "lat": OUTSIDE[1]}, "location", 400),
    ({"lon": "east"}, "lon", 400),
    ({"crs": "epsg:3857"}, "crs", 400),
    ({"event_type": "9999"}, "event_type", 400),
    ({"accuracy_m": -1}, "accuracy_m", 400),
    ({"client_key": "x" * 65}, "client_key", 400),
    ({"source": "hotline_12345"}, "source", 403),
    ({"captured_at": "2000-01-01T00:00:00Z"}, "captured_at", 400),
    ({"captured_at": "2999-01-01T00:00:00Z"}, "captured_at", 400),
    ({"captured_at": "yesterday"}, "captured_at", 400),
])
def test_bad_reports_name_the_field(world, overrides, field, code):
    response = tablet_report(client_for(world["users"]["nz_worker"]), **overrides)
    assert response.status_code == code, response.content
    assert response.json()["error"]["field"] == field


def test_a_worker_keeps_seeing_a_report_made_outside_their_grids(world):
    worker = client_for(world["users"]["nz_worker"])
    made = tablet_report(worker, lon=ZM_POINT[0], lat=ZM_POINT[1]).json()
    assert made["properties"]["town"]["code"] == "440604001"
    assert worker.get(reverse("incident-detail", args=[made["id"]])).status_code == 200
    assert client_for(world["users"]["zm_worker"]).get(reverse("incident-detail", args=[made["id"]])).status_code == 200


def test_offline_report_keeps_the_time_it_was_seen_beside_the_servers(world):
    from datetime import timedelta

    from django.utils import timezone

    when = (timezone.now() - timedelta(hours=5)).replace(microsecond=0)
    before = timezone.now()
    body = tablet_report(client_for(world["users"]["nz_worker"]), captured_at=when.isoformat()).json()
    incident = Incident.objects.get(pk=body["id"])
    # The device's time is kept; the server's clock starts the deadlines (issue 11, finding 5).
    assert incident.captured_at == when and body["properties"]["captured_at"] is not None
    assert incident.reported_at >= before
    assert incident.resolution_deadline == incident.reported_at + timedelta(hours=24)
    assert body["properties"]["overdue"] is False


def test_roles_without_intake_are_refused(world):
    response = tablet_report(client_for(world["users"]["planner"]))
    assert response.status_code == 403


def test_photo_upload_sniffs_content(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    worker = client_for(world["users"]["nz_worker"])
    incident_id = tablet_report(worker).json()["id"]
    url = reverse("incident-photos", args=[incident_id])

    def upload(data, name="photo.jpg", content_type="image/jpeg"):
        f = io.BytesIO(data)
        f.name = name
        return worker.post(url, {"photo": f}, format="multipart")

    for data in (JPEG, PNG, WEBP):
        response = upload(data, name="x.bin", content_type="application/octet-stream")
        assert response.status_code == 201, response.content
    assert sorted(IncidentPhoto.objects.values_list("content_type", flat=True)) == ["image/jpeg", "image/png", "image/webp"]
    assert upload(JPEG).status_code == 200  # same bytes again: the stored photo
    lying = upload(b"<html><script>alert(1)</script></html>", name="cat.jpg")
    assert lying.status_code == 415 and lying.json()["error"]["field"] == "photo"
    with override_settings(GRIDOPS_PHOTO_MAX_BYTES=1000):
        big = upload(JPEG[:-2] + b"\x00" * 2000 + b"\xff\xd9")
    assert big.status_code == 413
    missing = worker.post(url, {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "photo"
    other = client_for(world["users"]["zm_worker"]).post(url, {"photo": io.BytesIO(PNG)}, format="multipart")
    assert other.status_code == 404


def test_photos_per_incident_are_bounded_and_a_retry_still_answers(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.GRIDOPS_PHOTOS_PER_INCIDENT = 2
    worker = client_for(world["users"]["nz_worker"])
    url = reverse("incident-photos", args=[tablet_report(worker).json()["id"]])

    def upload(data):
        return worker.post(url, {"photo": io.BytesIO(data)}, format="multipart")

    assert [upload(JPEG).status_code, upload(PNG).status_code] == [201, 201]
    full = upload(WEBP)
    assert full.status_code == 409 and full.json()["error"]["code"] == "too_many_photos"
    again = upload(PNG)  # a tablet's retry of a stored photo is answered even when the incident is full
    assert again.status_code == 200 and again.json()["id"] == IncidentPhoto.objects.order_by("id").last().pk


def test_transition_and_stale_version_409(world):
    citizen = client_for(world["users"]["citizen"])
    incident_id = tablet_report(citizen).json()["id"]
    op = client_for(world["users"]["nanzhuang_op"])
    url = reverse("incident-transition", args=[incident_id])
    ok = op.post(url, {"status": "registered", "version": 1, "note": "立案"}, format="json")
    assert ok.status_code == 200, ok.content
    props = ok.json()["properties"]
    assert props["status"] == "registered" and props["version"] == 2
    assert props["allowed_transitions"] == ["dispatched", "void"]
    assert [t["to_status"] for t in props["transitions"]] == ["reported", "registered"]
    stale = client_for(world["users"]["district_op"]).post(url, {"status": "void", "version": 1}, format="json")
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "stale_version" and error["field"] == "version"
    assert error["current"] == {**error["current"], "status": "registered", "version": 2}
    bad = op.post(url, {"status": "registered"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "version"
    dispatch = op.post(url, {"status": "dispatched", "version": 2, "department": "nope"}, format="json")
    assert dispatch.status_code == 400 and dispatch.json()["error"]["field"] == "department"


def test_personal_data_hidden_from_departments(world):
    citizen = client_for(world["users"]["citizen"])
    incident_id = tablet_report(citizen, reporter_phone="13800000000").json()["id"]
    op = client_for(world["users"]["nanzhuang_op"])
    op.post(reverse("incident-transition", args=[incident_id]), {"status": "registered", "version": 1}, format="json")
    op.post(reverse("incident-transition", args=[incident_id]), {"status": "dispatched", "version": 2}, format="json")
    url = reverse("incident-detail", args=[incident_id])
    seen_by_op = op.get(url).json()["properties"]
    assert seen_by_op["reporter"]["phone"] == "13800000000"
    seen_by_dept = client_for(world["users"]["cg_handler"]).get(url)
    assert seen_by_dept.status_code == 200
    body = seen_by_dept.content.decode()
    assert "13800000000" not in body
    props = seen_by_dept.json()["properties"]
    assert props["reporter"] is None
    assert "citizen" not in [t["actor"] for t in props["transitions"]]
    assert client_for(world["users"]["citizen"]).get(url).json()["properties"]["reporter"]["phone"] == "13800000000"


def test_list_filters_and_bbox(world):
    worker = client_for(world["users"]["nz_worker"])
    tablet_report(worker, client_key="a")
    tablet_report(client_for(world["users"]["zm_worker"]), client_key="b", lon=ZM_POINT[0], lat=ZM_POINT[1],
                  event_type="0101002")
    op = client_for(world["users"]["district_op"])
    url = reverse("incident-list")
    everything = op.get(url).json()
    assert everything["type"] == "FeatureCollection" and everything["count"] == 2
    assert everything["count_capped"] is False
    assert op.get(url, {"town": "440604001"}).json()["count"] == 1
    assert op.get(url, {"status": "dispatched,reported"}).json()["count"] == 2
    assert op.get(url, {"priority": "urgent"}).json()["count"] == 0
    assert op.get(url, {"category": "01"}).json()["count"] == 2
    assert op.get(url, {"bbox": "113.0,23.0,113.02,23.02"}).json()["count"] == 1
    assert op.get(url, {"since": "2000-01-01", "until": "2999-01-01T00:00:00"}).json()["count"] == 2
    for params, field in [({"bbox": "1,2,3"}, "bbox"), ({"bbox": "nan,1,2,3"}, "bbox"),
                          ({"status": "bogus"}, "status"), ({"since": "yesterday"}, "since"),
                          ({"overdue": "maybe"}, "overdue"), ({"in_bbox": "a,b,c,d"}, "in_bbox"),
                          ({"town": "44\x00"}, "town")]:
        response = op.get(url, params)
        assert response.status_code == 400, params
        assert response.json()["error"]["field"] == field


def test_count_is_capped(world, monkeypatch):
    from gridops.core import pagination

    tablet_report(client_for(world["users"]["nz_worker"]), client_key="a")
    tablet_report(client_for(world["users"]["nz_worker"]), client_key="b", lon=113.012)
    monkeypatch.setattr(pagination, "COUNT_CAP", 1)
    body = client_for(world["users"]["district_op"]).get(reverse("incident-list"), {"page_size": 1}).json()
    assert body["count"] == 1 and body["count_capped"] is True and body["next"]


def test_overdue_view(world, settings):
    tablet_report(client_for(world["users"]["citizen"]))
    Incident.objects.update(response_deadline="2000-01-01T00:00:00Z", resolution_deadline="2000-01-02T00:00:00Z",
                            reported_at="1999-12-31T00:00:00Z")
    url = reverse("incident-overdue")
    assert client_for(world["users"]["nanzhuang_op"]).get(url).json()["count"] == 1
    assert client_for(world["users"]["zumiao_op"]).get(url).json()["count"] == 0
    assert client_for(world["users"]["nz_worker"]).get(url).status_code == 403
    listed = client_for(world["users"]["district_op"]).get(reverse("incident-list"), {"overdue": "true"}).json()
    assert listed["count"] == 1 and listed["features"][0]["properties"]["overdue"] is True


def test_duplicates_and_merge_api(world):
    citizen = client_for(world["users"]["citizen"])
    original = tablet_report(citizen, client_key="c1").json()["id"]
    second = tablet_report(client_for(world["users"]["citizen2"]), client_key="c2")
    assert second.json()["properties"]["duplicate_candidates"] == []  # citizens don't see others' reports
    dup_id = second.json()["id"]
    op = client_for(world["users"]["nanzhuang_op"])
    suggestions = op.get(reverse("incident-duplicates", args=[dup_id])).json()
    assert [f["id"] for f in suggestions["features"]] == [original]
    merged = op.post(reverse("incident-merge", args=[dup_id]), {"into": original, "version": 1}, format="json")
    assert merged.status_code == 200 and merged.json()["properties"]["co_reporter_count"] == 1
    assert Incident.objects.get(pk=dup_id).status == Status.VOID
    # The second citizen still follows the original as a co-reporter.
    assert client_for(world["users"]["citizen2"]).get(reverse("incident-detail", args=[original])).status_code == 200
    again = op.post(reverse("incident-merge", args=[dup_id]), {"into": original, "version": 2}, format="json")
    assert again.status_code == 409


def test_catalogue_endpoints_and_search(world):
    client = APIClient()
    assert [d["code"] for d in client.get(reverse("catalogue-departments")).json()] == ["cg", "sw", "yj"]
    assert len(client.get(reverse("catalogue-categories")).json()) == 2
    found = client.get(reverse("catalogue-event-types"), {"q": "jg"}).json()
    assert found[0]["name"] == "井盖缺失"
    assert client.get(reverse("catalogue-event-types"), {"limit": "x"}).status_code == 400
    nul = client.get(reverse("catalogue-event-types"), {"category": "\x00a"})
    assert nul.status_code == 400 and nul.json()["error"]["field"] == "category"
    assert "max-age" in client.get(reverse("catalogue-event-types")).headers["Cache-Control"]


def test_worker_pings_and_latest_positions(world):
    worker = client_for(world["users"]["nz_worker"])
    url = reverse("worker-positions")
    pings = [{"lon": 113.01, "lat": 23.005, "accuracy_m": 5, "recorded_at": "2026-01-01T08:00:00+08:00"},
             {"lon": 113.011, "lat": 23.006, "accuracy_m": 5}]
    assert worker.post(url, {"pings": pings}, format="json").status_code == 201
    assert WorkerPosition.objects.count() == 2
    bad = worker.post(url, {"pings": [{"lon": 500, "lat": 23}]}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["field"].startswith("pings")
    assert client_for(world["users"]["citizen"]).post(url, {"pings": pings}, format="json").status_code == 403
    latest = client_for(world["users"]["nanzhuang_op"]).get(reverse("worker-positions-latest")).json()
    assert len(latest["features"]) == 1
    assert latest["features"][0]["geometry"]["coordinates"] == [113.011, 23.006]
    assert client_for(world["users"]["zumiao_op"]).get(reverse("worker-positions-latest")).json()["features"] == []
    from gridops.realtime.models import Event

    live = Event.objects.filter(kind="worker.position").last()
    assert live.payload["lon"] == 113.011 and "town.440604101" in live.audiences


def test_a_ping_batch_is_located_ping_by_ping(world):
    """The batch is located in one statement; each ping keeps its own grid, and one outside the
    district (a worker may cross the border) is stored without one."""
    worker = client_for(world["users"]["nz_worker"])
    pings = [{"lon": 113.5, "lat": 23.5}, {"lon": 113.011, "lat": 23.006}, {"lon": 113.5, "lat": 23.6}]
    assert worker.post(reverse("worker-positions"), {"pings": pings}, format="json").status_code == 201
    stored = list(WorkerPosition.objects.order_by("id"))
    assert [p.grid_id is None for p in stored] == [True, False, True]
    assert stored[1].town.code == "440604101"


def test_schema_publishes_the_endpoints(world):
    schema = APIClient().get(reverse("schema"), {"format": "json"}).json()
    for path in ("/api/v1/incidents/", "/api/v1/incidents/{id}/transitions/", "/api/v1/incidents/{id}/photos/",
                 "/api/v1/catalogue/event-types/", "/api/v1/auth/token", "/api/v1/worker-positions/"):
        assert path in schema["paths"], path


def test_operator_records_a_hotline_call_with_the_callers_details(world):
    op = client_for(world["users"]["nanzhuang_op"])
    made = tablet_report(op, source="hotline_12345", client_key="call-1", reporter_name="李女士",
                         reporter_phone="13900000000")
    assert made.status_code == 201
    props = made.json()["properties"]
    assert props["source"] == "hotline_12345" and props["status"] == "reported"  # registered by a person
    assert props["reporter"]["name"] == "李女士"
    dispatched = op.post(reverse("incident-transition", args=[made.json()["id"]]),
                         {"status": "registered", "version": 1}, format="json")
    op.post(reverse("incident-transition", args=[made.json()["id"]]), {"status": "dispatched", "version": 2},
            format="json")
    assert dispatched.status_code == 200
    seen = client_for(world["users"]["cg_handler"]).get(reverse("incident-detail", args=[made.json()["id"]]))
    assert seen.json()["properties"]["reporter"] is None
    assert seen.json()["properties"]["allowed_transitions"] == ["in_progress", "returned"]
    assert "13900000000" not in seen.content.decode() and "李女士" not in seen.content.decode()


def test_meta_publishes_the_lifecycle_table():
    from gridops.incidents.rules import TRANSITIONS

    body = APIClient().get(reverse("incident-meta")).json()
    assert [s["value"] for s in body["statuses"]][:3] == ["reported", "registered", "dispatched"]
    assert {(t["from"], t["to"]) for t in body["transitions"]} == set(TRANSITIONS)
    dispatch = next(t for t in body["transitions"] if (t["from"], t["to"]) == ("registered", "dispatched"))
    assert dispatch["roles"] == ["district_operator", "town_operator"]
