"""Declaring, answering, escalating and closing emergencies through the API (real PostGIS)."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gridops.emergency import services
from gridops.emergency.models import Emergency, Task
from gridops.realtime.models import Event
from tests.realtime.users import NANZHUANG, NANZHUANG_GRID, ZUMIAO, ZUMIAO_GRID, make_incident, signed_in

from .conftest import ZUMIAO_BOX

pytestmark = pytest.mark.django_db

LIST = "/api/v1/emergencies/"


def declare(user, area, **extra):
    body = {"kind": "flood", "title": "内涝", "area": area, **extra}
    return signed_in(user).post(LIST, body, content_type="application/json")


def task_of(emergency_id, user):
    return Task.objects.get(emergency_id=emergency_id, worker=user)


def test_drawn_polygon_tasks_the_workers_of_the_grids_it_touches(people):
    users = people["users"]
    response = declare(users["district"], {"polygon": ZUMIAO_BOX})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [t["worker"] for t in body["board"]["tasks"]] == ["worker_zm"] and body["board"]["silent"] == 1
    emergency = Emergency.objects.get(pk=body["id"])
    assert emergency.audiences == sorted(["grid." + ZUMIAO_GRID, "village." + ZUMIAO_GRID[:14],
                                          "area." + ZUMIAO_GRID[:11], "town." + ZUMIAO])
    event = Event.objects.get(kind="emergency.declared")
    assert f"user.{users['worker_zm'].pk}" in event.audiences and "district" in event.audiences
    assert event.payload["worker_ids"] == [users["worker_zm"].pk]


def test_buffer_is_measured_in_metres_and_zones_are_chosen_by_code(people):
    users = people["users"]
    # 500 m round the towns' shared border touches both first grids.
    body = declare(users["district"], {"point": [113.02, 23.005], "radius_m": 500}).json()
    assert sorted(t["worker"] for t in body["board"]["tasks"]) == ["worker_nz", "worker_zm"]
    area = Emergency.objects.get(pk=body["id"]).area.transform(4547, clone=True).area
    assert area == pytest.approx(3.14159 * 500 ** 2, rel=0.01)
    by_zone = declare(users["district"], {"zones": [NANZHUANG]}).json()
    assert [t["worker"] for t in by_zone["board"]["tasks"]] == ["worker_nz"]


@pytest.mark.parametrize("body, field", [
    ({"kind": "meteor", "title": "x", "area": {"zones": [NANZHUANG]}}, "kind"),
    ({"kind": "flood", "title": "", "area": {"zones": [NANZHUANG]}}, "title"),
    ({"kind": "flood", "title": "x"}, "area"),
    ({"kind": "flood", "title": "x", "area": {"zones": [NANZHUANG], "point": [113, 23]}}, "area"),
    ({"kind": "flood", "title": "x", "area": {"polygon": {"type": "Point", "coordinates": [113, 23]}}}, "polygon"),
    ({"kind": "flood", "title": "x", "area": {"polygon": "not json"}}, "polygon"),
    ({"kind": "flood", "title": "x", "area": {"point": [113.02, 23.005], "radius_m": 0}}, "radius_m"),
    ({"kind": "flood", "title": "x", "area": {"point": ["a", 23.005], "radius_m": 10}}, "point.lon"),
    ({"kind": "flood", "title": "x", "area": {"point": [113.02], "radius_m": 10}}, "point"),
    ({"kind": "flood", "title": "x", "area": {"zones": ["440604999"]}}, "zones"),
    ({"kind": "flood", "title": "x", "area": {"point": [113.5, 23.5], "radius_m": 10}}, "area"),
])
def test_bad_declarations_are_400_naming_the_field(people, body, field):
    response = signed_in(people["users"]["district"]).post(LIST, body, content_type="application/json")
    assert response.status_code in (400, 403), response.content
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("who, status", [("worker_zm", 403), ("citizen", 403), ("dept_cg", 403),
                                         ("nanzhuang", 403), ("zumiao", 201), ("district", 201)])
def test_who_may_declare_over_zumiao(people, who, status):
    assert declare(people["users"][who], {"polygon": ZUMIAO_BOX}).status_code == status


def test_a_town_operator_tasks_only_their_own_grids(people):
    both = {"point": [113.021, 23.005], "radius_m": 500}  # centre in 祖庙, circle over both towns
    body = declare(people["users"]["zumiao"], both).json()
    assert [t["worker"] for t in body["board"]["tasks"]] == ["worker_zm"]


def test_a_retried_declaration_returns_the_first(people):
    users = people["users"]
    first = declare(users["district"], {"polygon": ZUMIAO_BOX}, client_key="k-1")
    again = declare(users["district"], {"polygon": ZUMIAO_BOX}, client_key="k-1")
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert Task.objects.count() == 1 and Event.objects.filter(kind="emergency.declared").count() == 1
    assert declare(users["zumiao"], {"polygon": ZUMIAO_BOX}, client_key="k-1").status_code == 409


def test_workers_answer_idempotently_and_the_board_follows(people):
    users = people["users"]
    body = declare(users["district"], {"point": [113.02, 23.005], "radius_m": 500}).json()
    zm, nz = task_of(body["id"], users["worker_zm"]), task_of(body["id"], users["worker_nz"])
    url = reverse("emergency-api:task", args=[zm.pk])
    assert signed_in(users["worker_zm"]).post(url, {"status": "acknowledged"}, content_type="application/json").status_code == 200
    events = Event.objects.filter(kind="emergency.task").count()
    again = signed_in(users["worker_zm"]).post(url, {"status": "acknowledged"}, content_type="application/json")
    assert again.json()["status"] == "acknowledged" and Event.objects.filter(kind="emergency.task").count() == events
    # Someone else's task is not theirs to answer, nor an operator's.
    for who in ("worker_nz", "district"):
        assert signed_in(users[who]).post(url, {"status": "arrived"}, content_type="application/json").status_code == 404
    assert signed_in(users["worker_zm"]).post(url, {"status": "done"}, content_type="application/json").json()["error"]["field"] == "status"
    assert Emergency.objects.get(pk=body["id"]).all_acknowledged_at is None
    nz_url = reverse("emergency-api:task", args=[nz.pk])
    row = signed_in(users["worker_nz"]).post(nz_url, {"status": "on_the_way"}, content_type="application/json").json()
    assert row["status"] == "on_the_way" and row["acknowledged_at"] is not None
    detail = signed_in(users["district"]).get(reverse("emergency-api:detail", args=[body["id"]])).json()
    assert detail["all_acknowledged_at"] is not None and detail["board"]["counts"] == {
        "notified": 0, "acknowledged": 1, "on_the_way": 1, "arrived": 0}
    mine = signed_in(users["worker_nz"]).get(reverse("emergency-api:my-tasks")).json()["results"]
    assert [t["id"] for t in mine] == [nz.pk] and mine[0]["emergency"]["area"]["type"] == "MultiPolygon"


def test_visibility_follows_the_jurisdiction(people):
    users = people["users"]
    pk = declare(users["district"], {"polygon": ZUMIAO_BOX}).json()["id"]
    detail = reverse("emergency-api:detail", args=[pk])
    seen = {who: signed_in(users[who]).get(detail).status_code for who in
            ("district", "zumiao", "nanzhuang", "worker_zm", "worker_nz", "citizen", "admin")}
    assert seen == {"district": 200, "zumiao": 200, "nanzhuang": 404, "worker_zm": 200, "worker_nz": 404,
                    "citizen": 404, "admin": 200}
    assert [e["id"] for e in signed_in(users["zumiao"]).get(LIST).json()["results"]] == [pk]
    assert signed_in(users["nanzhuang"]).get(LIST).json()["results"] == []


def test_escalate_close_and_kpis(people):
    users = people["users"]
    pk = declare(users["district"], {"polygon": ZUMIAO_BOX}).json()["id"]
    zumiao = signed_in(users["zumiao"])
    assert zumiao.post(reverse("emergency-api:escalate", args=[pk])).json()["escalation_level"] == 1
    assert signed_in(users["nanzhuang"]).post(reverse("emergency-api:escalate", args=[pk])).status_code == 404
    closed = zumiao.post(reverse("emergency-api:close", args=[pk]), {"note": "退水"}, content_type="application/json")
    assert closed.json()["status"] == "closed"
    assert zumiao.post(reverse("emergency-api:close", args=[pk])).status_code == 200  # a retried close
    assert zumiao.post(reverse("emergency-api:escalate", args=[pk])).status_code == 409
    task = task_of(pk, users["worker_zm"])
    late = signed_in(users["worker_zm"]).post(reverse("emergency-api:task", args=[task.pk]), {"status": "acknowledged"},
                                              content_type="application/json")
    assert late.status_code == 409
    kpis = signed_in(users["district"]).get(reverse("emergency-api:kpis")).json()
    assert kpis["count"] == 1 and kpis["escalated"] == 1 and kpis["duration_s"]["n"] == 1
    assert kpis["all_acknowledged"] == 0 and kpis["by_kind"] == {"flood": 1}
    assert signed_in(users["district"]).get(reverse("emergency-api:kpis"), {"since": "garbage"}).json()["error"]["field"] == "since"


def test_the_sweep_escalates_by_the_rule(people):
    users = people["users"]
    pk = declare(users["district"], {"polygon": ZUMIAO_BOX}).json()["id"]
    assert services.escalation_tick() == 0
    now = timezone.now()
    Emergency.objects.filter(pk=pk).update(declared_at=now - timedelta(minutes=20), ack_deadline=now - timedelta(minutes=5))
    assert services.escalation_tick() == 1 and Emergency.objects.get(pk=pk).escalation_level == 1
    assert services.escalation_tick() == 0
    Emergency.objects.filter(pk=pk).update(declared_at=now - timedelta(minutes=40), ack_deadline=now - timedelta(minutes=25))
    assert services.escalation_tick() == 1 and Emergency.objects.get(pk=pk).escalation_level == 2
    assert Event.objects.filter(kind="emergency.escalated").count() == 2


def test_situation_counts_incidents_workers_and_shelters_inside(people):
    users = people["users"]
    make_incident(people["zones"], ZUMIAO_GRID, lon=113.03, lat=23.005)
    make_incident(people["zones"], NANZHUANG_GRID)
    body = declare(users["district"], {"polygon": ZUMIAO_BOX}).json()
    situation = body["situation"]
    assert situation["incidents"]["open"] == 1 and situation["workers"]["tasked"] == 1
    assert situation["shelters"] == {"count": 1, "capacity": 200, "occupancy": 50, "load": 0.25}


def test_shelter_layer_and_occupancy(people):
    users = people["users"]
    layer = signed_in(users["zumiao"]).get(reverse("emergency-api:shelters")).json()
    assert [f["properties"]["code"] for f in layer["features"]] == ["S-ZM"]
    url = reverse("emergency-api:shelter-occupancy", args=["S-ZM"])
    assert signed_in(users["zumiao"]).post(url, {"occupancy": 120}, content_type="application/json").json()["load"] == 0.6
    assert signed_in(users["zumiao"]).post(url, {"occupancy": 201}, content_type="application/json").json()["error"]["field"] == "occupancy"
    assert signed_in(users["zumiao"]).post(url, {"occupancy": "x"}, content_type="application/json").status_code == 400
    assert signed_in(users["nanzhuang"]).post(url, {"occupancy": 1}, content_type="application/json").status_code == 403
    assert signed_in(users["worker_zm"]).post(url, {"occupancy": 1}, content_type="application/json").status_code == 403
