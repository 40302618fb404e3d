"""The permission matrix: every role × list, detail, count, each transition, merge, duplicates, overdue.

The expectations are written out as literal tables (not computed from the code under test):
an incident in 南庄镇 grid 1, reported by `citizen`, routed to 城管 (cg).
"""
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridops.incidents import selectors
from gridops.incidents.models import Incident, Source, Status
from gridops.incidents.rules import TRANSITIONS
from gridops.incidents.services import incident_report

from .factories import NZ_POINT, ZM_POINT
from .test_api import client_for

pytestmark = pytest.mark.django_db

ROLES = ["district_op", "nanzhuang_op", "zumiao_op", "cg_handler", "sw_handler", "nz_worker", "zm_worker",
         "citizen", "citizen2", "planner", "admin", "anonymous"]

# Does the role see the 南庄 incident (before dispatch, after dispatch)?
SEES = {
    "district_op": (True, True), "nanzhuang_op": (True, True), "zumiao_op": (False, False),
    "cg_handler": (False, True), "sw_handler": (False, False), "nz_worker": (True, True),
    "zm_worker": (False, False), "citizen": (True, True), "citizen2": (False, False),
    "planner": (False, False), "admin": (True, True), "anonymous": (False, False),
}

# Who may make each move (beyond seeing the incident).
MAY = {
    ("reported", "registered"): {"district_op", "nanzhuang_op", "admin"},
    ("reported", "void"): {"district_op", "nanzhuang_op", "admin", "citizen"},
    ("registered", "dispatched"): {"district_op", "nanzhuang_op", "admin"},
    ("registered", "void"): {"district_op", "nanzhuang_op", "admin"},
    ("dispatched", "dispatched"): {"district_op", "nanzhuang_op", "admin"},
    ("dispatched", "in_progress"): {"cg_handler"},
    ("dispatched", "returned"): {"cg_handler"},
    ("in_progress", "resolved"): {"cg_handler"},
    ("in_progress", "returned"): {"cg_handler"},
    ("returned", "dispatched"): {"district_op", "nanzhuang_op", "admin"},
    ("returned", "void"): {"district_op", "nanzhuang_op", "admin"},
    ("resolved", "verified"): {"district_op", "nanzhuang_op", "admin", "nz_worker"},
    ("resolved", "in_progress"): {"district_op", "nanzhuang_op", "admin", "nz_worker"},
    ("verified", "closed"): {"district_op", "nanzhuang_op", "admin"},
}
DISPATCHED_STATES = {"dispatched", "in_progress", "resolved", "verified", "returned"}


def test_the_table_covers_every_move_in_the_rules():
    assert set(MAY) == set(TRANSITIONS)


def client(world, role):
    return APIClient() if role == "anonymous" else client_for(world["users"][role])


def nanzhuang_incident(world, status: str) -> Incident:
    incident, _ = incident_report(reporter=world["users"]["citizen"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                                  event_type=world["types"]["manhole"], source=Source.CITIZEN)
    now = timezone.now()
    dispatched = status in DISPATCHED_STATES
    Incident.objects.filter(pk=incident.pk).update(
        status=status, registered_at=now if status != "reported" else None,
        dispatched_at=now if dispatched else None)
    return incident


def expected_status(role, seen, allowed):
    if role == "anonymous":
        return 401
    if not seen:
        return 404
    return 200 if allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_list_detail_and_count(world, role):
    waiting = nanzhuang_incident(world, "reported")
    dispatched = nanzhuang_incident(world, "dispatched")
    other_town, _ = incident_report(reporter=world["users"]["zm_worker"], lon=ZM_POINT[0], lat=ZM_POINT[1],
                                    event_type=world["types"]["waterlog"], source=Source.GRID_WORKER)
    c = client(world, role)
    listing = c.get(reverse("incident-list"))
    if role == "anonymous":
        assert listing.status_code == 401
        assert not selectors.incidents_visible_to(None).exists()
        return
    ids = {f["id"] for f in listing.json()["features"]}
    before, after = SEES[role]
    expected = {waiting.pk} if before else set()
    expected |= {dispatched.pk} if after else set()
    in_zumiao = role in ("district_op", "admin", "zumiao_op", "zm_worker", "sw_handler")
    expected |= {other_town.pk} if in_zumiao else set()
    assert ids == expected
    assert listing.json()["count"] == len(expected) == selectors.incidents_visible_to(world["users"][role]).count()
    for incident, seen in ((waiting, before), (dispatched, after)):
        detail = c.get(reverse("incident-detail", args=[incident.pk]))
        assert detail.status_code == (200 if seen else 404)
        if not seen:
            assert str(incident.description) not in detail.content.decode() or not incident.description
        dup = c.get(reverse("incident-duplicates", args=[incident.pk]))
        assert dup.status_code == (200 if seen else 404)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("move", sorted(MAY))
def test_each_transition(world, role, move):
    frm, to = move
    incident = nanzhuang_incident(world, frm)
    seen = SEES[role][frm in DISPATCHED_STATES]
    response = client(world, role).post(reverse("incident-transition", args=[incident.pk]),
                                        {"status": to, "version": incident.version}, format="json")
    assert response.status_code == expected_status(role, seen, role in MAY[move]), response.content
    incident.refresh_from_db()
    assert incident.status == (to if response.status_code == 200 else frm)


@pytest.mark.parametrize("role", ROLES)
def test_merge(world, role):
    original = nanzhuang_incident(world, "registered")
    duplicate = nanzhuang_incident(world, "reported")
    response = client(world, role).post(reverse("incident-merge", args=[duplicate.pk]),
                                        {"into": original.pk, "version": duplicate.version}, format="json")
    allowed = role in ("district_op", "nanzhuang_op", "admin")
    assert response.status_code == expected_status(role, SEES[role][0], allowed)
    duplicate.refresh_from_db()
    assert (duplicate.status == Status.VOID) == allowed


@pytest.mark.parametrize("role", ROLES)
def test_overdue_list(world, role):
    incident = nanzhuang_incident(world, "dispatched")
    Incident.objects.filter(pk=incident.pk).update(response_deadline=timezone.now(), resolution_deadline=timezone.now())
    response = client(world, role).get(reverse("incident-overdue"))
    may_list = role in ("district_op", "nanzhuang_op", "zumiao_op", "cg_handler", "sw_handler", "admin")
    if role == "anonymous":
        assert response.status_code == 401
    elif not may_list:
        assert response.status_code == 403
    else:
        ids = [f["id"] for f in response.json()["features"]]
        assert ids == ([incident.pk] if SEES[role][1] else [])
