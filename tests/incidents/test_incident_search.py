"""The incident list's search (`q`) and the fields the console's panel reads from the API:
both deadlines with which are past, the escalation level's name, the moves with their labels."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from gridops.incidents import rules, sla
from gridops.incidents.models import Status
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, build_people, make_incident, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return build_people()


def _ids(client, **params) -> list[int]:
    response = client.get(reverse("incident-list"), params)
    assert response.status_code == 200, response.content
    return [feature["id"] for feature in response.json()["features"]]


def test_search_finds_an_incident_by_number_address_grid_and_village(people):
    zones = people["zones"]
    wanted = make_incident(zones, NANZHUANG_GRID, address="南庄镇紫洞路18号")
    other = make_incident(zones, ZUMIAO_GRID, address="祖庙街道人民路3号")
    client = signed_in(people["users"]["district"])
    assert _ids(client, q=str(wanted.id)) == [wanted.id]
    assert _ids(client, q=f"#{wanted.id}") == [wanted.id]
    assert _ids(client, q="紫洞路") == [wanted.id]
    assert _ids(client, q="南庄镇第1网格") == [wanted.id]          # the micro-grid's name
    assert _ids(client, q="南庄镇一社区") == [wanted.id]            # the village's name
    assert _ids(client, q="人民路") == [other.id]
    assert sorted(_ids(client, q="网格")) == sorted([wanted.id, other.id])
    assert _ids(client, q="没有这个地方") == []


def test_hash_number_is_that_incident_alone_and_a_bare_number_is_broad(people):
    zones = people["zones"]
    target = make_incident(zones, ZUMIAO_GRID, address="祖庙街道人民路3号")
    holding_digits = make_incident(zones, NANZHUANG_GRID, address=f"南庄镇紫洞路{target.id}号")
    client = signed_in(people["users"]["district"])
    assert sorted(_ids(client, q=str(target.id))) == sorted([target.id, holding_digits.id])
    assert _ids(client, q=f"#{target.id}") == [target.id]
    assert _ids(client, q=f"# {target.id}") == [target.id]
    # 南庄镇第1网格 holds the digit 1: a bare "1" finds its incidents, "#1" incident 1 at most.
    assert holding_digits.id in _ids(client, q="1")
    assert set(_ids(client, q="#1")) <= {1}
    assert _ids(client, q="#" + "9" * 40) == []                      # no such number, not a 500
    assert _ids(client, q="#人民路") == []                            # "#" then text is text


def test_search_stays_inside_the_jurisdiction_and_the_filters(people):
    zones = people["zones"]
    zumiao = make_incident(zones, ZUMIAO_GRID, address="祖庙街道人民路3号")
    closed = make_incident(zones, NANZHUANG_GRID, address="南庄镇紫洞路18号", status=Status.CLOSED)
    nanzhuang_op = signed_in(people["users"]["nanzhuang"])
    assert _ids(nanzhuang_op, q="人民路") == []
    assert _ids(nanzhuang_op, q=str(zumiao.id)) == []               # hidden, not found
    assert _ids(nanzhuang_op, q=f"#{zumiao.id}") == []
    assert _ids(nanzhuang_op, q="紫洞路") == [closed.id]
    assert _ids(nanzhuang_op, q="紫洞路", open="1") == []


def test_bad_search_text_is_a_400_naming_q(people):
    client = signed_in(people["users"]["district"])
    response = client.get(reverse("incident-list"), {"q": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "q"
    # Numbers PostgreSQL cannot hold and digits that are not ASCII are text, not a 500.
    assert client.get(reverse("incident-list"), {"q": "9" * 40}).status_code == 200
    assert client.get(reverse("incident-list"), {"q": "²"}).status_code == 200


def test_detail_names_the_deadline_that_is_past_and_the_escalation_level(people):
    zones = people["zones"]
    incident = make_incident(zones, NANZHUANG_GRID, status=Status.DISPATCHED)
    now = timezone.now()
    incident.response_deadline = now - timedelta(minutes=30)
    incident.resolution_deadline = now + timedelta(hours=20)
    incident.escalation_level = 1
    incident.save()
    body = signed_in(people["users"]["district"]).get(reverse("incident-detail", args=[incident.id])).json()
    props = body["properties"]
    assert props["breached_deadlines"] == ["response"]
    assert props["overdue"] is True
    assert props["response_deadline"] and props["resolution_deadline"]
    assert props["escalation_level"] == 1
    assert props["escalation_label"] == "一级：超时未响应，已升级至区指挥中心"
    english = signed_in(people["users"]["district"])
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    props = english.get(reverse("incident-detail", args=[incident.id])).json()["properties"]
    assert props["escalation_label"].startswith("Level 1")


@pytest.mark.parametrize("status, now_offset, expected", [
    (Status.DISPATCHED, timedelta(hours=1), []),
    (Status.DISPATCHED, timedelta(hours=30), ["response", "resolution"]),
    (Status.IN_PROGRESS, timedelta(hours=3), []),                     # accepted: no response deadline
    (Status.IN_PROGRESS, timedelta(hours=30), ["resolution"]),
    (Status.RESOLVED, timedelta(hours=30), []),                       # no longer open
])
def test_breached_deadlines_agree_with_breach_level(status, now_offset, expected):
    reported = timezone.now()
    response, resolution = reported + timedelta(hours=2), reported + timedelta(hours=24)
    now = reported + now_offset
    breached = sla.breached_deadlines(status=status, now=now, response_deadline=response, resolution_deadline=resolution)
    assert breached == expected
    level = sla.breach_level(status=status, now=now, response_deadline=response, resolution_deadline=resolution)
    assert level == (2 if "resolution" in expected else 1 if "response" in expected else 0)


def test_every_move_has_its_own_label_and_send_back_is_not_accept():
    with translation.override("zh-hans"):
        table = {(row["from"], row["to"]): row for row in rules.transition_table()}
    assert set(table) == set(rules.TRANSITIONS)
    send_back = table[(Status.RESOLVED, Status.IN_PROGRESS)]["label"]
    accept = table[(Status.DISPATCHED, Status.IN_PROGRESS)]["label"]
    assert send_back != accept and accept == "接收处置"
    assert table[(Status.REGISTERED, Status.DISPATCHED)]["needs_department"] is True
    assert table[(Status.VERIFIED, Status.CLOSED)]["needs_department"] is False


def test_meta_api_serves_the_labelled_table(people):
    body = signed_in(people["users"]["district"]).get(reverse("incident-meta")).json()
    assert body["transitions"] == rules.transition_table()


@pytest.mark.parametrize("user_key, status, may_merge", [
    ("district", Status.REPORTED, True),
    ("nanzhuang", Status.DISPATCHED, True),
    ("district", Status.RESOLVED, False),      # no longer open
    ("dept_cg", Status.DISPATCHED, False),     # departments do not merge
])
def test_may_merge_is_what_the_merge_endpoint_allows(people, user_key, status, may_merge):
    zones = people["zones"]
    duplicate = make_incident(zones, NANZHUANG_GRID, status=status, dispatched_at=timezone.now())
    original = make_incident(zones, NANZHUANG_GRID, status=Status.DISPATCHED, dispatched_at=timezone.now())
    client = signed_in(people["users"][user_key])
    props = client.get(reverse("incident-detail", args=[duplicate.id])).json()["properties"]
    assert props["may_merge"] is may_merge
    response = client.post(reverse("incident-merge", args=[duplicate.id]),
                           {"into": original.id, "version": duplicate.version}, content_type="application/json")
    assert (response.status_code == 200) is may_merge, response.content


def test_roles_see_only_the_moves_the_transition_endpoint_accepts(people):
    """The API's allowed_transitions for each console role and status, tried against the endpoint."""
    zones = people["zones"]
    for user_key in ("district", "nanzhuang", "dept_cg"):
        for status in Status.values:
            incident = make_incident(zones, NANZHUANG_GRID, status=status, dispatched_at=timezone.now())
            client = signed_in(people["users"][user_key])
            allowed = client.get(reverse("incident-detail", args=[incident.id])).json()["properties"]["allowed_transitions"]
            for target in Status.values:
                incident.refresh_from_db()
                response = client.post(reverse("incident-transition", args=[incident.id]),
                                       {"status": target, "version": incident.version, "note": "t"},
                                       content_type="application/json")
                assert (response.status_code == 200) is (target in allowed), (user_key, status, target, response.content)
                if response.status_code == 200:  # back to the status under test for the next target
                    type(incident).objects.filter(pk=incident.pk).update(status=status)
