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
from gridops.incidents.services.intake import incident_report

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
    ("dispatched", "in_progress"): {"cg_handler", "nz_worker"},  # a grid worker's 就地处置 in their grid
    ("dispatched", "returned"): {"cg_handler"},
    ("in_progress", "resolved"): {"cg_handler", "nz_worker"},
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
    clients = world.setdefault("clients", {})
    if role not in clients:
        clients[role] = APIClient() if role == "anonymous" else client_for(world["users"][role])
    return clients[role]


def nanzhuang_incident(world, status: str) -> Incident:
    """A 南庄 grid-1 incident reported by `citizen` (through intake once, then copied: faster)."""
    template = world.get("template")
    if template is None:
        template, _ = incident_report(reporter=world["users"]["citizen"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                                      event_type=world["types"]["manhole"], source=Source.CITIZEN)
        world["template"] = template
    incident = Incident.objects.get(pk=template.pk)
    incident.pk = None
    now = timezone.now()
    incident.status = status
    incident.registered_at = now if status != "reported" else None
    incident.dispatched_at = now if status in DISPATCHED_STATES else None
    incident.save(force_insert=True)
    return incident


def expected_status(role, seen, allowed):
    if role == "anonymous":
        return 401
    if not seen:
        return 404
    return 200 if allowed else 403


def test_list_detail_and_count(world):
    waiting = nanzhuang_incident(world, "reported")
    dispatched = nanzhuang_incident(world, "dispatched")
    other_town, _ = incident_report(reporter=world["users"]["zm_worker"], lon=ZM_POINT[0], lat=ZM_POINT[1],
                                    event_type=world["types"]["waterlog"], source=Source.GRID_WORKER)
    assert not selectors.incidents_visible_to(None).exists()
    for role in ROLES:
        c = client(world, role)
        listing = c.get(reverse("incident-list"))
        if role == "anonymous":
            assert listing.status_code == 401
            continue
        ids = {f["id"] for f in listing.json()["features"]}
        before, after = SEES[role]
        expected = {waiting.pk, world["template"].pk} if before else set()
        expected |= {dispatched.pk} if after else set()
        in_zumiao = role in ("district_op", "admin", "zumiao_op", "zm_worker", "sw_handler")
        expected |= {other_town.pk} if in_zumiao else set()
        assert ids == expected, role
        count = selectors.incidents_visible_to(world["users"][role]).count()
        assert listing.json()["count"] == len(expected) == count, role
        for incident, seen in ((waiting, before), (dispatched, after)):
            detail = c.get(reverse("incident-detail", args=[incident.pk]))
            assert detail.status_code == (200 if seen else 404), (role, incident.status)
            dup = c.get(reverse("incident-duplicates", args=[incident.pk]))
            assert dup.status_code == (200 if seen else 404), (role, incident.status)


@pytest.mark.parametrize("move", sorted(MAY))
def test_each_transition(world, move):
    frm, to = move
    for role in ROLES:
        incident = nanzhuang_incident(world, frm)
        seen = SEES[role][frm in DISPATCHED_STATES]
        response = client(world, role).post(reverse("incident-transition", args=[incident.pk]),
                                            {"status": to, "version": incident.version}, format="json")
        expected = expected_status(role, seen, role in MAY[move])
        assert response.status_code == expected, (role, move, response.content)
        incident.refresh_from_db()
        assert incident.status == (to if expected == 200 else frm), (role, move)


def test_merge(world):
    for role in ROLES:
        original = nanzhuang_incident(world, "registered")
        duplicate = nanzhuang_incident(world, "reported")
        response = client(world, role).post(reverse("incident-merge", args=[duplicate.pk]),
                                            {"into": original.pk, "version": duplicate.version}, format="json")
        allowed = role in ("district_op", "nanzhuang_op", "admin")
        assert response.status_code == expected_status(role, SEES[role][0], allowed), role
        duplicate.refresh_from_db()
        assert (duplicate.status == Status.VOID) == allowed, role


def test_overdue_list(world):
    incident = nanzhuang_incident(world, "dispatched")
    Incident.objects.filter(pk=incident.pk).update(response_deadline=timezone.now(), resolution_deadline=timezone.now())
    for role in ROLES:
        response = client(world, role).get(reverse("incident-overdue"))
        may_list = role in ("district_op", "nanzhuang_op", "zumiao_op", "cg_handler", "sw_handler", "admin")
        if role == "anonymous":
            assert response.status_code == 401
        elif not may_list:
            assert response.status_code == 403, role
        else:
            ids = [f["id"] for f in response.json()["features"]]
            assert ids == ([incident.pk] if SEES[role][1] else []), role
