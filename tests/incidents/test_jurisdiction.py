"""May see ⇔ receives the push, for every role and zone level (issue 13).

The incident query filter (`incidents_visible_to`) and the push (the audiences `publish_event`
records for an incident, routed by the process hub to sockets holding `audiences_of(user)`) come
from one definition, `gridops.incidents.jurisdiction`. Hypothesis walks roles × jurisdiction
zones (district, town, area, village, micro-grid) × departments × grids × incidents
(micro-grid, department, dispatched or not, reporter, co-reporter), derandomised so the suite is
deterministic. Before: a town operator whose zone was the district or an area could list those
incidents but listened to `town.<its own code>`, which nothing published to.
"""
import itertools

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridops.accounts.models import Department, Role
from gridops.incidents.selectors import incidents_visible_to, reach_statement, visible_ids
from gridops.incidents.services.trail import publish_incident
from gridops.realtime.hub import Hub
from gridops.realtime.models import Event
from gridops.realtime.selectors import audiences_of
from tests.builders import make_user
from tests.fuzzing import examples
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db

GRIDS = [ZUMIAO_GRID, ZUMIAO_GRID[:-1] + "2", NANZHUANG_GRID, NANZHUANG_GRID[:-1] + "2"]
ZONES = ["440604", "440604001", "44060400101", "44060400101001", ZUMIAO_GRID, "440604101", "44060410101", None]
ROLES = [*Role.values, "superuser", None]
_names = itertools.count()


class Socket:
    """What the hub routes to: a listener holding the user's audiences."""

    credential = "token"

    def __init__(self, user):
        self.user_id = user.pk
        self.audiences = audiences_of(user)

    def offer(self, event):
        pass

    def revoke(self, code, reason):
        pass


def _subject(people, role, zone, department, grids):
    zones = people["zones"]
    name = f"subject{next(_names)}"
    if role == "superuser":
        return make_user(name, None, superuser=True)
    return make_user(name, role, zone=zones[zone] if zone else None,
                     department=Department.objects.get(code=department) if department else None,
                     grids=[zones[code] for code in grids]) if role else make_user(name, None)


def _receives(user, incident) -> bool:
    publish_incident(incident, "incident.updated")
    event = Event.objects.order_by("-id").values("id", "kind", "payload", "audiences").first()
    hub = Hub(key="unused")
    socket = Socket(user)
    hub.register(socket)
    return socket in hub.route(event)


@pytest.fixture
def people():
    return build_people()


@settings(max_examples=examples(300), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(role=st.sampled_from(ROLES), zone=st.sampled_from(ZONES), department=st.sampled_from([None, "cg", "sw"]),
       grids=st.sets(st.sampled_from(GRIDS), max_size=2), at=st.sampled_from(GRIDS),
       incident_department=st.sampled_from([None, "cg", "sw"]), dispatched=st.booleans(),
       reporter=st.sampled_from(["subject", "other", None]), co_reporter=st.booleans())
def test_may_see_iff_receives_the_push(people, role, zone, department, grids, at, incident_department,
                                       dispatched, reporter, co_reporter):
    with transaction.atomic():
        user = _subject(people, role, zone, department, grids)
        reach_statement(user)  # compiled now, before the incident and its co-reporter exist
        other = people["users"]["citizen"]
        incident = make_incident(people["zones"], at, status="dispatched" if dispatched else "reported",
                                 dispatched_at=timezone.now() if dispatched else None,
                                 reporter={"subject": user, "other": other, None: None}[reporter])
        incident.department = Department.objects.get(code=incident_department) if incident_department else None
        incident.save(update_fields=["department"])
        if co_reporter:
            incident.co_reporters.add(user)
        may_see = incidents_visible_to(user).filter(pk=incident.pk).exists()
        assert may_see == _receives(user, incident), (role, zone, department, grids, audiences_of(user))
        # The compiled lookup by id (photos' reach, duplicate suggestions) says the same.
        assert (visible_ids(user, [incident.pk, incident.pk + 10**6]) == [incident.pk]) == may_see
        transaction.set_rollback(True)


@pytest.mark.parametrize("zone", ["440604", "44060400101", "44060400101001", ZUMIAO_GRID])
def test_town_operator_of_any_zone_level_is_pushed_what_they_list(people, zone):
    """The reported case: a town operator pinned to the district or an area."""
    user = make_user("op", Role.TOWN_OPERATOR, zone=people["zones"][zone])
    incident = make_incident(people["zones"], ZUMIAO_GRID)
    assert incidents_visible_to(user).filter(pk=incident.pk).exists()
    assert _receives(user, incident)
    elsewhere = make_incident(people["zones"], NANZHUANG_GRID)
    assert incidents_visible_to(user).filter(pk=elsewhere.pk).exists() == (zone == "440604") == _receives(user, elsewhere)
