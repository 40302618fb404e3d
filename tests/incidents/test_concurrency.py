"""Real concurrency (separate connections, committed rows): one writer wins, sweeps never double up."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from gridops.core.errors import Conflict
from gridops.incidents.models import Incident, IncidentTransition, Source, Status
from gridops.incidents.services.escalation import escalate_overdue
from gridops.incidents.services.intake import incident_report
from gridops.incidents.services.lifecycle import incident_transition

from .factories import NZ_POINT

pytestmark = pytest.mark.django_db(transaction=True)


def citizen_report(world) -> Incident:
    incident, _ = incident_report(reporter=world["users"]["citizen"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                                  event_type=world["types"]["manhole"], source=Source.CITIZEN)
    return incident


def test_two_operators_at_once_one_wins_the_other_gets_409(world):
    incident = citizen_report(world)
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(name, target):
        try:
            barrier.wait(timeout=5)
            incident_transition(user=world["users"][name], incident_id=incident.pk, status=target,
                                version=1, note=name)
            outcomes[name] = "ok"
        except Conflict as exc:
            outcomes[name] = exc.extra["current"]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=("district_op", Status.REGISTERED)),
               threading.Thread(target=act, args=("nanzhuang_op", Status.VOID))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [name for name, result in outcomes.items() if result == "ok"]
    assert len(winners) == 1
    loser = next(name for name in outcomes if name not in winners)
    incident.refresh_from_db()
    assert outcomes[loser]["version"] == 2 and outcomes[loser]["status"] == incident.status
    assert incident.transitions.filter(action="transition").count() == 1


def test_a_sweep_skips_rows_another_holds_and_a_rerun_escalates_nothing_twice(world):
    first, second = citizen_report(world), citizen_report(world)
    later = timezone.now() + timedelta(hours=3)
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:  # e.g. a sweep killed mid-way whose transaction is still open
            cursor.execute("SELECT id FROM incidents_incident WHERE id = %s FOR UPDATE", [first.pk])
        assert escalate_overdue(later) == 1           # only the free row, without waiting
        other.rollback()                                         # the killed sweep's lock goes away
    finally:
        other.close()
    assert escalate_overdue(later) == 1               # now the other one
    assert escalate_overdue(later) == 0               # and nothing twice
    levels = dict(Incident.objects.values_list("pk", "escalation_level"))
    assert levels == {first.pk: 1, second.pk: 1}
    assert IncidentTransition.objects.filter(action="escalate").count() == 2
    assert connection.in_atomic_block is False


def test_escalation_command_and_worker_registry(world, capsys):
    from django.core.management import call_command

    from gridops.core.workers import WORKERS

    assert "gridops.incidents.services.escalation.escalation_tick" in WORKERS
    citizen_report(world)
    Incident.objects.update(response_deadline=timezone.now() - timedelta(minutes=1))
    call_command("escalate_overdue")
    call_command("escalate_overdue")
    out = capsys.readouterr().out
    assert "escalated 1 incident(s)" in out and "escalated 0 incident(s)" in out
