"""The education API: permission matrix, plans and publishing, balance, what-if, serving."""
import json

import pytest
from django.urls import reverse

from gridops.accounts.models import Role
from gridops.education.models import CatchmentMember, CatchmentPlan, PlanStatus

from tests.builders import make_user

from .conftest import PUBLISH

pytestmark = pytest.mark.django_db

# Who may do what: anonymous 401, other roles 403, planners read and edit drafts, publishing needs
# the permission too. (action, anonymous, citizen, operator, planner, publisher, superuser)
MATRIX = [
    ("balance", 401, 403, 403, 200, 200, 200),
    ("schools", 401, 403, 403, 200, 200, 200),
    ("serve", 401, 403, 403, 200, 200, 200),
    ("whatif", 401, 403, 403, 200, 200, 200),
    ("export", 401, 403, 403, 200, 200, 200),
    ("create_plan", 401, 403, 403, 201, 201, 201),
    ("publish", 401, 403, 403, 403, 200, 200),
    ("layer", 401, 403, 200, 200, 200, 200),
]
USERS = ["anonymous", "citizen", "operator", "planner", "publisher", "superuser"]


def _user(kind):
    return {
        "anonymous": lambda: None,
        "citizen": lambda: make_user("citizen", Role.CITIZEN),
        "operator": lambda: make_user("operator", Role.DISTRICT_OPERATOR),
        "planner": lambda: make_user("planner1", Role.PLANNER),
        "publisher": lambda: make_user("publisher1", Role.PLANNER, permissions=PUBLISH),
        "superuser": lambda: make_user("root", superuser=True, staff=True),
    }[kind]()


def _call(client, action, edu):
    plan = edu["plan"]
    if action == "publish":
        draft = CatchmentPlan.objects.create(name="草案", school_year=2026)
        CatchmentMember.objects.create(plan=draft, school=edu["schools"]["P1"], zone=edu["zones"]["g1"])
        return client.post(reverse("education-publish", kwargs={"pk": draft.pk}))
    if action == "whatif":
        body = {"moves": [{"grids": [edu["zones"]["g2"].code], "from": "P1", "to": "P2"}]}
        return client.post(reverse("education-whatif", kwargs={"pk": plan.pk}), json.dumps(body), content_type="application/json")
    if action == "create_plan":
        return client.post(reverse("education-plans"), {"name": "2026 草案", "school_year": 2026, "based_on": plan.pk},
                           content_type="application/json")
    url = {
        "balance": reverse("education-balance", kwargs={"pk": plan.pk}),
        "schools": reverse("education-schools"),
        "serve": reverse("education-serve") + "?lon=113.025&lat=23.015",
        "export": reverse("education-export", kwargs={"view": "schools", "fmt": "csv"}),
        "layer": reverse("education-layer"),
    }[action]
    return client.get(url)


@pytest.mark.parametrize("row", MATRIX, ids=[r[0] for r in MATRIX])
@pytest.mark.parametrize("who", USERS)
def test_permission_matrix(client, edu, row, who):
    user = _user(who)
    if user is not None:
        client.force_login(user)
    response = _call(client, row[0], edu)
    assert response.status_code == row[1 + USERS.index(who)], response.content[:200]
    if response.status_code >= 400:
        assert "error" in response.json()


def test_balance_totals_add_up(planner_client, edu):
    body = planner_client.get(reverse("education-balance", kwargs={"pk": edu["plan"].pk}) + "?year=2028").json()
    assert body["projection"]["year"] == 2028
    for level, totals in body["totals"].items():
        assert totals["demand"] + totals["unassigned"] == pytest.approx(totals["district_demand"])
    assert body["totals"]["primary"]["seats"] == 6 * (30 + 40 + 50)


def test_bad_projection_is_400_naming_the_field(planner_client, edu):
    response = planner_client.get(reverse("education-balance", kwargs={"pk": edu["plan"].pk}) + "?year=soon")
    assert response.status_code == 400 and response.json()["error"]["field"] == "year"


def test_unknown_plan_is_404(planner_client, edu):
    response = planner_client.get(reverse("education-balance", kwargs={"pk": 99999}))
    assert response.status_code == 404 and response.json()["error"]["field"] == "plan"


def test_whatif_through_the_api_leaves_the_plan_alone(planner_client, edu):
    before = CatchmentMember.objects.filter(plan=edu["plan"]).count()
    body = {"moves": [{"grids": [edu["zones"]["g2"].code], "from": "P1", "to": "P2"}], "year": 2026}
    response = planner_client.post(reverse("education-whatif", kwargs={"pk": edu["plan"].pk}), json.dumps(body),
                                   content_type="application/json")
    data = response.json()
    assert response.status_code == 200 and sorted(data["changed"]) == ["P1", "P2"]
    assert data["projection"]["year"] == 2026
    assert CatchmentMember.objects.filter(plan=edu["plan"]).count() == before


@pytest.mark.parametrize("body", ["[1, 2]", '{"moves": [{"grids": "g1"}]}', "{not json"])
def test_malformed_whatif_is_400(planner_client, edu, body):
    response = planner_client.post(reverse("education-whatif", kwargs={"pk": edu["plan"].pk}), body, content_type="application/json")
    assert response.status_code == 400


def test_draft_from_published_then_edit_then_publish(client, edu, publisher):
    client.force_login(publisher)
    draft = client.post(reverse("education-plans"), {"name": "2026 征求意见稿", "school_year": 2026, "based_on": edu["plan"].pk},
                        content_type="application/json").json()
    assert draft["status"] == "draft" and draft["members"] == 10 and draft["created_by"] == "head"
    g2 = edu["zones"]["g2"].code
    moved = client.post(reverse("education-apply", kwargs={"pk": draft["id"]}),
                        json.dumps({"moves": [{"grids": [g2], "from": "P1", "to": "P2"}]}), content_type="application/json")
    assert moved.status_code == 200
    members = set(CatchmentMember.objects.filter(plan_id=draft["id"], school__code="P1").values_list("zone__code", flat=True))
    # village A was split: g1 stays with P1, g2 went to P2; the published plan still has village A.
    assert members == {edu["zones"]["g1"].code, edu["zones"]["g3"].code}
    assert CatchmentMember.objects.filter(plan=edu["plan"], school__code="P1", zone=edu["zones"]["A"]).exists()
    published = client.post(reverse("education-publish", kwargs={"pk": draft["id"]})).json()
    assert published["status"] == "published" and published["published_by"] == "head" and published["published_at"]
    edu["plan"].refresh_from_db()
    assert edu["plan"].status == PlanStatus.ARCHIVED
    from gridops.realtime.models import Event

    assert Event.objects.filter(kind="education.plan_published", payload__plan=draft["id"]).exists()


def test_published_plan_cannot_be_edited(planner_client, edu):
    response = planner_client.post(reverse("education-assign", kwargs={"pk": edu["plan"].pk}),
                                   {"school": "P1", "zones": [edu["zones"]["g4"].code]}, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["field"] == "plan"


def test_assign_and_unassign_in_a_draft(planner_client, edu):
    draft = CatchmentPlan.objects.create(name="草案", school_year=2026)
    url = reverse("education-assign", kwargs={"pk": draft.pk})
    ok = planner_client.post(url, {"school": "P3", "zones": [edu["zones"]["C"].code], "weight": 2}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["changed"] == 1
    bad = planner_client.post(url, {"school": "P3", "zones": ["440604"]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "zones"
    missing = planner_client.post(url, {"school": "NOPE", "zones": [edu["zones"]["C"].code]}, content_type="application/json")
    assert missing.status_code == 404
    gone = planner_client.post(reverse("education-unassign", kwargs={"pk": draft.pk}),
                               {"school": "P3", "zones": [edu["zones"]["C"].code]}, content_type="application/json")
    assert gone.json()["changed"] == 1 and not draft.members.exists()


def test_serve_names_the_schools_and_converts_gcj02(planner_client, edu):
    body = planner_client.get(reverse("education-serve") + "?lon=113.005&lat=23.005").json()
    assert [s["code"] for s in body["schools"]] == ["P3", "J1"]
    bad = planner_client.get(reverse("education-serve") + "?lon=abc&lat=23")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "lon"
    outside = planner_client.get(reverse("education-serve") + "?lon=114.9&lat=23.5")
    assert outside.status_code == 404


def test_school_detail_and_layer(planner_client, edu):
    detail = planner_client.get(reverse("education-school", kwargs={"code": "P1"})).json()
    assert len(detail["grades"]) == 6 and detail["balance"]["gap"] == -45
    layer = planner_client.get(reverse("education-layer")).json()
    assert {f["properties"]["code"]: f["properties"]["gap"] for f in layer["features"]}["P3"] == -60


def test_catchments_are_geojson_with_gaps(planner_client, edu):
    body = planner_client.get(reverse("education-catchments", kwargs={"pk": edu["plan"].pk})).json()
    features = {f["properties"]["code"]: f for f in body["features"]}
    assert features["P1"]["geometry"]["type"] == "MultiPolygon" and features["P1"]["properties"]["gap"] == -45


def test_schema_lists_the_education_api(client):
    schema = client.get(reverse("schema") + "?format=json").json()
    assert "/api/v1/education/plans/{id}/whatif/" in schema["paths"]
