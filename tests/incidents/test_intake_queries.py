"""The tablet's report reads no reference rows and no grids of its own (issue 13, intake profile):
the catalogue and departments are kept per reference generation, the grid worker's micro-grids
travel with the cached token user, and a change of either is still seen at once."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridops.accounts.models import Role
from gridops.incidents import rules
from gridops.incidents.models import EventType

from .test_api import client_for, tablet_report

pytestmark = pytest.mark.django_db


def _report(client, key, event_type="0101001"):
    with CaptureQueriesContext(connection) as queries:
        response = tablet_report(client, client_key=key, event_type=event_type)
    assert response.status_code == 201, response.content
    return response.json()["properties"], [q["sql"] for q in queries.captured_queries]


def test_a_second_report_reads_neither_the_catalogue_nor_the_workers_grids(world):
    client = client_for(world["users"]["nz_worker"])
    _report(client, "first")
    props, sql = _report(client, "second", "0101002")  # another type: not a suspected duplicate
    assert not [q for q in sql if '"accounts_profile_grids"' in q or '"incidents_eventtype"' in q]
    # The grid worker still acts as one in their own grid, and as the reporter.
    assert props["allowed_transitions"] == rules.allowed_targets(
        frozenset({Role.GRID_WORKER, rules.REPORTER}), props["status"])


def test_grids_and_catalogue_changes_are_seen_by_the_next_report(world):
    worker = world["users"]["nz_worker"]
    client = client_for(worker)
    _report(client, "first")
    worker.profile.grids.clear()
    props, _ = _report(client, "after-grids", "0101002")
    assert props["allowed_transitions"] == rules.allowed_targets(frozenset({rules.REPORTER}), props["status"])
    manhole = EventType.objects.get(code="0101001")
    manhole.active = False
    manhole.save()
    response = tablet_report(client, client_key="after-retire")
    assert response.status_code == 400 and response.json()["error"]["field"] == "event_type"
