"""Intake, automatic dispatch, idempotency, transitions, merge and escalation (the services)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridops.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridops.incidents.models import Incident, IncidentTransition, RoutingRule, Source, Status
from gridops.incidents.services.escalation import escalate_overdue
from gridops.incidents.services.intake import incident_report
from gridops.incidents.services.lifecycle import incident_merge, incident_transition
from gridops.realtime.models import Event

from .factories import NANZHUANG, NZ_GRID1, NZ_POINT, NZ_POINT2, OUTSIDE, ZM_POINT

pytestmark = pytest.mark.django_db(transaction=False)


def report(world, user="nz_worker", point=NZ_POINT, kind="manhole", source=Source.GRID_WORKER, **kw):
    lon, lat = point
    return incident_report(reporter=world["users"][user], lon=lon, lat=lat,
                           event_type=world["types"][kind], source=source, **kw)


def test_grid_worker_report_in_nanzhuang_is_dispatched_without_a_human(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        incident, created = report(world, description="人行道井盖缺失", client_key="k-1")
    assert created
    incident.refresh_from_db()
    assert incident.status == Status.DISPATCHED and incident.auto_dispatched
    assert incident.department.code == "cg"
    assert incident.command_centre.zone.code == NANZHUANG
    assert incident.grid.code == NZ_GRID1 and incident.town.code == NANZHUANG
    assert not incident.district_notified
    assert incident.registered_at and incident.dispatched_at
    assert "默认责任部门" in incident.routing_reason
    moves = list(incident.transitions.values_list("from_status", "to_status"))
    assert moves == [("", "reported"), ("reported", "registered"), ("registered", "dispatched")]
    # Deadlines from the type: 2 h response, 24 h resolution.
    assert incident.response_deadline - incident.reported_at == timedelta(hours=2)
    assert incident.resolution_deadline - incident.reported_at == timedelta(hours=24)
    event = Event.objects.get(kind="incident.created")
    assert event.payload["id"] == incident.pk and event.payload["status"] == "dispatched"
    assert event.payload["department"] == "cg" and event.payload["event_type"]["code"] == "0101001"
    assert set(event.audiences) >= {f"town.{NANZHUANG}", "dept.cg", f"grid.{NZ_GRID1}",
                                    f"user.{world['users']['nz_worker'].pk}", "district"}


def test_retry_with_the_same_key_returns_the_same_incident(world):
    first, created = report(world, client_key="tablet-abc")
    again, created_again = report(world, client_key="tablet-abc", description="changed on retry")
    assert created and not created_again
    assert again.pk == first.pk
    assert Incident.objects.count() == 1
    # The key is per reporter: another worker's identical key is a different report.
    other, created_other = report(world, user="zm_worker", point=ZM_POINT, client_key="tablet-abc")
    assert created_other and other.pk != first.pk


def test_citizen_report_waits_at_the_command_centre(world):
    incident, _ = report(world, user="citizen", source=Source.CITIZEN, reporter_phone="13800000000")
    assert incident.status == Status.REPORTED and not incident.auto_dispatched
    assert incident.department.code == "cg"  # routing is proposed, not yet acted on
    created = Event.objects.get(kind="incident.created", payload__id=incident.pk)
    assert "dept.cg" not in created.audiences  # the department hears of it once dispatched
    assert "13800000000" not in str(created.payload)


def test_emergency_goes_to_the_district_at_once_and_waits_for_a_human(world):
    incident, _ = report(world, kind="fire")
    assert incident.status == Status.REPORTED
    assert incident.district_notified and incident.emergency
    assert "紧急" in incident.transitions.get().note


def test_poor_accuracy_holds_automatic_dispatch(world):
    incident, _ = report(world, accuracy_m=500)
    assert incident.status == Status.REPORTED


def test_a_zone_rule_overrides_the_default_and_is_recorded(world):
    rule = RoutingRule.objects.create(event_type=world["types"]["manhole"], zone=world["zones"][NANZHUANG],
                                      department=world["departments"]["sw"])
    incident, _ = report(world)
    assert incident.department.code == "sw" and incident.routing_rule == rule
    assert "南庄镇" in incident.routing_reason


@pytest.mark.parametrize("point, field", [(OUTSIDE, "location"), ((200, 23), "lon"), ((113, "x"), "lat")])
def test_bad_location_names_the_field(world, point, field):
    with pytest.raises(InvalidInput) as err:
        report(world, point=point)
    assert err.value.field == field
    assert Incident.objects.count() == 0


def test_unknown_type_and_crs_name_the_field(world):
    with pytest.raises(InvalidInput) as err:
        incident_report(reporter=world["users"]["nz_worker"], lon=113.01, lat=23.005,
                        event_type="nope", source=Source.GRID_WORKER)
    assert err.value.field == "event_type"
    with pytest.raises(InvalidInput) as err:
        report(world, crs="utm")
    assert err.value.field == "crs"


def test_gcj02_coordinates_are_converted(world):
    from geodata.coords import to_wgs84
    import prcoords

    gcj = prcoords.wgs_gcj(prcoords.Coords(23.005, 113.01))
    incident, _ = report(world, point=(gcj.lon, gcj.lat), crs="gcj02")
    assert incident.input_crs == "gcj02"
    assert abs(incident.point.x - 113.01) < 1e-6 and abs(incident.point.y - 23.005) < 1e-6
    assert to_wgs84(113.01, 23.005, "wgs84") == (113.01, 23.005)


def test_lifecycle_with_history_and_optimistic_concurrency(world):
    users = world["users"]
    incident, _ = report(world, user="citizen", source=Source.CITIZEN)
    v = incident.version
    incident = incident_transition(user=users["nanzhuang_op"], incident_id=incident.pk,
                                   status=Status.REGISTERED, version=v, note="立案")
    with pytest.raises(Conflict) as err:
        incident_transition(user=users["district_op"], incident_id=incident.pk,
                            status=Status.DISPATCHED, version=v)
    assert err.value.code == "stale_version"
    assert err.value.extra["current"]["status"] == "registered"
    assert err.value.extra["current"]["version"] == v + 1
    steps = [("nanzhuang_op", Status.DISPATCHED), ("cg_handler", Status.IN_PROGRESS),
             ("cg_handler", Status.RESOLVED), ("nz_worker", Status.VERIFIED), ("nanzhuang_op", Status.CLOSED)]
    for who, target in steps:
        incident = incident_transition(user=users[who], incident_id=incident.pk, status=target,
                                       version=incident.version, note=f"{who}")
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED and incident.closed_at and incident.accepted_at
    history = list(incident.transitions.values_list("to_status", "actor__username"))
    assert history[-1] == ("closed", "nanzhuang_op")
    assert len(history) == 7
    assert Event.objects.filter(kind="incident.updated", payload__id=incident.pk).count() == 6


def test_return_and_redispatch_to_another_department(world):
    users = world["users"]
    incident, _ = report(world)
    incident = incident_transition(user=users["cg_handler"], incident_id=incident.pk,
                                   status=Status.RETURNED, version=incident.version, note="非本部门职责")
    incident = incident_transition(user=users["nanzhuang_op"], incident_id=incident.pk,
                                   status=Status.DISPATCHED, version=incident.version, department="sw")
    assert incident.department.code == "sw"
    # The water department now sees it; the city-management handler no longer does.
    with pytest.raises(NotFound):
        incident_transition(user=users["cg_handler"], incident_id=incident.pk,
                            status=Status.IN_PROGRESS, version=incident.version)
    incident_transition(user=users["sw_handler"], incident_id=incident.pk,
                        status=Status.IN_PROGRESS, version=incident.version)


def test_wrong_role_and_impossible_move(world):
    users = world["users"]
    incident, _ = report(world, user="citizen", source=Source.CITIZEN)
    with pytest.raises(Forbidden):
        incident_transition(user=users["nz_worker"], incident_id=incident.pk,
                            status=Status.REGISTERED, version=incident.version)
    with pytest.raises(Conflict) as err:
        incident_transition(user=users["district_op"], incident_id=incident.pk,
                            status=Status.CLOSED, version=incident.version)
    assert err.value.code == "invalid_transition"
    with pytest.raises(InvalidInput) as err:
        incident_transition(user=users["district_op"], incident_id=incident.pk,
                            status="bogus", version=incident.version)
    assert err.value.field == "status"


def test_duplicate_is_suggested_held_and_merged_keeping_the_reporter(world):
    users = world["users"]
    original, _ = report(world, user="citizen", source=Source.CITIZEN)
    # 20 m east: same type, open, recent → the worker's report is held, not auto-dispatched.
    duplicate, _ = report(world, point=(NZ_POINT[0] + 0.0002, NZ_POINT[1]))
    assert duplicate.status == Status.REPORTED
    assert "重复" in duplicate.transitions.first().note
    from gridops.incidents import selectors

    assert list(selectors.duplicates_for(users["nanzhuang_op"], duplicate)) == [original]
    # Far away or another type: no suggestion.
    far, _ = report(world, point=NZ_POINT2)
    assert not selectors.duplicates_for(users["nanzhuang_op"], far).exists()
    merged_into = incident_merge(user=users["nanzhuang_op"], incident_id=duplicate.pk,
                                 into_id=original.pk, version=duplicate.version)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.VOID and duplicate.merged_into_id == original.pk
    assert list(merged_into.co_reporters.all()) == [users["nz_worker"]]
    # Only operators merge; a worker who sees both is refused, a department that sees neither gets 404.
    with pytest.raises(Forbidden):
        incident_merge(user=users["nz_worker"], incident_id=original.pk, into_id=far.pk, version=1)
    with pytest.raises(NotFound):
        incident_merge(user=users["cg_handler"], incident_id=original.pk, into_id=far.pk, version=1)


def test_escalation_is_idempotent(world, django_capture_on_commit_callbacks):
    incident, _ = report(world, user="citizen", source=Source.CITIZEN)
    now = timezone.now()
    assert escalate_overdue(now) == 0
    later = now + timedelta(hours=3)   # past the 2 h response deadline
    assert escalate_overdue(later) == 1
    assert escalate_overdue(later) == 0
    incident.refresh_from_db()
    assert incident.escalation_level == 1 and incident.district_notified
    much_later = now + timedelta(hours=25)  # past the 24 h resolution deadline
    assert escalate_overdue(much_later) == 1
    assert escalate_overdue(much_later) == 0
    assert IncidentTransition.objects.filter(incident=incident, action="escalate").count() == 2
    from gridops.incidents import selectors

    assert list(selectors.incidents_overdue(world["users"]["nanzhuang_op"], much_later)) == [incident]
    assert not selectors.incidents_overdue(world["users"]["zumiao_op"], much_later).exists()


def test_report_is_a_handful_of_queries(world):
    report(world)  # warm up
    with CaptureQueriesContext(connection) as ctx:
        report(world, point=NZ_POINT2, client_key="q")
    assert len(ctx.captured_queries) <= 14, [q["sql"][:80] for q in ctx.captured_queries]


def test_merge_and_void_are_audited(world):
    from gridops.core.models import AuditEntry

    users = world["users"]
    original, _ = report(world, user="citizen", source=Source.CITIZEN)
    duplicate, _ = report(world, user="citizen2", source=Source.CITIZEN)
    incident_merge(user=users["nanzhuang_op"], incident_id=duplicate.pk, into_id=original.pk,
                   version=duplicate.version)
    incident_transition(user=users["district_op"], incident_id=original.pk, status=Status.VOID,
                        version=original.version + 1, note="误报")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor__username", "target_id"))
    assert actions == [("incidents.merge", "nanzhuang_op", str(original.pk)),
                       ("incidents.void", "district_op", str(original.pk))]
