"""Seeing is not acting: co-reporters and grid workers following their own reports (issue 11, finding 4).

A citizen whose duplicate was merged into a grid worker's report follows that report; they must
not void it. A grid worker who reported outside their micro-grids follows the report on the
tablet; they must not accept, resolve or verify it (that is the remit of the grid it lies in).
"""
import pytest
from django.urls import reverse

from gridops.incidents import rules, selectors
from gridops.incidents.models import Incident, Source, Status
from gridops.incidents.services.intake import incident_report
from gridops.incidents.services.lifecycle import incident_merge

from .factories import NZ_POINT, ZM_POINT
from .test_api import client_for

pytestmark = pytest.mark.django_db


def _move(user, incident_id, status):
    version = Incident.objects.get(pk=incident_id).version
    return client_for(user).post(reverse("incident-transition", args=[incident_id]),
                                 {"status": status, "version": version}, format="json")


def _merged_into_workers_report(world):
    """The citizen reports first; the grid worker's report of the same manhole is held as a
    suspected duplicate (status reported); the operator merges the citizen's into the worker's."""
    users = world["users"]
    citizens, _ = incident_report(reporter=users["citizen"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                                  event_type=world["types"]["manhole"], source=Source.CITIZEN)
    workers, _ = incident_report(reporter=users["nz_worker"], lon=NZ_POINT[0] + 0.0001, lat=NZ_POINT[1],
                                 event_type=world["types"]["manhole"], source=Source.GRID_WORKER)
    assert workers.status == Status.REPORTED  # held: a suspected duplicate
    incident_merge(user=users["nanzhuang_op"], incident_id=citizens.pk, into_id=workers.pk,
                   version=citizens.version)
    return workers


def test_co_reporter_may_follow_but_not_void_the_merged_report(world):
    citizen = world["users"]["citizen"]
    workers = _merged_into_workers_report(world)
    detail = client_for(citizen).get(reverse("incident-detail", args=[workers.pk]))
    assert detail.status_code == 200  # still follows it
    assert detail.json()["properties"]["allowed_transitions"] == []
    refused = _move(citizen, workers.pk, "void")
    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["field"] == "status"
    assert Incident.objects.get(pk=workers.pk).status == Status.REPORTED


def test_the_reporter_still_withdraws_their_own_report(world):
    citizen = world["users"]["citizen"]
    own, _ = incident_report(reporter=citizen, lon=ZM_POINT[0], lat=ZM_POINT[1],
                             event_type=world["types"]["waterlog"], source=Source.CITIZEN)
    detail = client_for(citizen).get(reverse("incident-detail", args=[own.pk])).json()
    assert detail["properties"]["allowed_transitions"] == [Status.VOID]
    assert _move(citizen, own.pk, "void").status_code == 200
    assert Incident.objects.get(pk=own.pk).status == Status.VOID


def test_grid_worker_outside_their_grids_follows_but_does_not_verify(world):
    users = world["users"]
    # nz_worker's grid is 南庄 grid 1; this report lies in 祖庙 grid 1 (zm_worker's).
    incident, _ = incident_report(reporter=users["nz_worker"], lon=ZM_POINT[0], lat=ZM_POINT[1],
                                  event_type=world["types"]["manhole"], source=Source.GRID_WORKER)
    assert incident.status == Status.DISPATCHED
    assert _move(users["cg_handler"], incident.pk, "in_progress").status_code == 200
    assert _move(users["cg_handler"], incident.pk, "resolved").status_code == 200
    follower = client_for(users["nz_worker"]).get(reverse("incident-detail", args=[incident.pk]))
    assert follower.status_code == 200 and follower.json()["properties"]["allowed_transitions"] == []
    assert _move(users["nz_worker"], incident.pk, "verified").status_code == 403
    assert _move(users["zm_worker"], incident.pk, "verified").status_code == 200  # the grid's own worker


def test_capacities_table():
    """Roles act within their remit; the reporter capacity only withdraws an unregistered report."""
    assert rules.allowed_targets(rules.REPORTER, Status.REPORTED) == [Status.VOID]
    assert rules.allowed_targets(rules.REPORTER, Status.REGISTERED) == []
    assert rules.allowed_targets(frozenset(), Status.REPORTED) == []
    assert not rules.may_transition({"citizen"}, Status.REPORTED, Status.VOID)


def test_capacities_of_each_relation(world):
    users = world["users"]
    workers = _merged_into_workers_report(world)
    assert selectors.acting_capacities(users["citizen"], workers) == frozenset()
    assert selectors.acting_capacities(users["nz_worker"], workers) == {"grid_worker", rules.REPORTER}
    assert selectors.acting_capacities(users["nanzhuang_op"], workers) == {"town_operator"}
