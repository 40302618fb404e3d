"""Time partitioning (gridops/core/partitioning.py): the queries that matter read only the
partitions their time bound allows, ids keep working as Django's primary key, and retention drops
expired partitions whole."""
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridops.core import partitioning
from gridops.incidents.models import WorkerPosition
from gridops.incidents.selectors import positions_latest
from gridops.realtime.models import Event
from gridops.realtime.selectors import events_since
from tests.realtime.users import build_people

pytestmark = pytest.mark.django_db


def _scanned(plan: dict, table: str) -> set[str]:
    """Partitions of `table` that a JSON plan reads."""
    found = set()
    stack = [plan]
    while stack:
        node = stack.pop()
        name = node.get("Relation Name", "")
        if name == table or name.startswith(table + "_"):
            found.add(name)
        stack.extend(node.get("Plans", []))
    return found


def _explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        value = cursor.fetchone()[0]
    return (json.loads(value) if isinstance(value, str) else value)[0]["Plan"]


def test_every_growing_table_is_partitioned_with_partitions_ahead():
    for table in partitioning.TABLES:
        with connection.cursor() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
            assert cursor.fetchone()[0] == "p", table
        # pg_partman made the partitions around today plus the default one.
        assert partitioning.partition_count(table) >= 3, table


def test_catchup_by_event_id_reads_only_the_partitions_since_the_clients_last_event():
    Event.objects.create(kind="incident.created", payload={}, audiences=["district"])
    seen = Event.objects.create(kind="incident.updated", payload={}, audiences=["district"])
    Event.objects.create(kind="incident.updated", payload={"n": 3}, audiences=["district"])
    with CaptureQueriesContext(connection) as queries:
        rows, truncated = events_since(audiences=["district"], last_id=seen.id)
    assert [row["payload"] for row in rows][-1] == {"n": 3} and not truncated
    catchup = next(q["sql"] for q in queries.captured_queries if "audiences" in q["sql"])
    scanned = _scanned(_explain(catchup), "realtime_event")
    assert scanned, "the plan reads no event partition"
    assert len(scanned) < partitioning.partition_count("realtime_event"), scanned


def test_latest_positions_read_only_the_recent_partitions():
    people = build_people()
    worker = people["users"]["worker_nz"]
    stored = WorkerPosition.objects.create(user=worker, point="POINT(113.05 23.0)", recorded_at=timezone.now())
    assert stored.pk and WorkerPosition.objects.get(pk=stored.pk).user_id == worker.pk
    qs = positions_latest(people["users"]["district"], since=timezone.now() - timedelta(hours=1))
    assert [p.pk for p in qs] == [stored.pk]
    plan = json.loads(qs.explain(format="json"))[0]["Plan"]
    scanned = _scanned(plan, "incidents_workerposition")
    assert scanned and len(scanned) < partitioning.partition_count("incidents_workerposition"), scanned


def test_ids_stay_unique_across_partitions():
    now = timezone.now()
    ids = [Event.objects.create(kind="k", payload={}, audiences=["district"], ).id for _ in range(2)]
    Event.objects.filter(id=ids[1]).update(created_at=now - timedelta(days=3))  # moves partition
    older = Event.objects.create(kind="k", payload={}, audiences=["district"])
    assert older.id > ids[1] > ids[0]
    assert Event.objects.get(pk=ids[1]).created_at == now - timedelta(days=3)


def test_maintenance_drops_expired_partitions_and_keeps_the_records(settings):
    now = timezone.now()
    old = Event.objects.create(kind="k", payload={}, audiences=["district"])
    Event.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=6))
    fresh = Event.objects.create(kind="k", payload={}, audiences=["district"])
    before = {t: partitioning.partition_count(t) for t in partitioning.TABLES}
    settings.GRIDOPS_REALTIME_RETENTION_DAYS = 3
    partitioning.maintain()
    assert partitioning.partition_count("realtime_event") < before["realtime_event"]
    assert list(Event.objects.filter(pk__in=[old.pk, fresh.pk]).values_list("pk", flat=True)) == [fresh.pk]
    # Transitions and approval case events are records: no retention, nothing dropped.
    for table in ("incidents_incidenttransition", "approvals_caseevent"):
        assert partitioning.partition_count(table) >= before[table]



def _default_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}_default"')
        return cursor.fetchone()[0]


def test_maintenance_moves_history_out_of_the_default_partition(settings):
    """A ping older than the first partition (a loaded history) lands in the default partition;
    maintenance gives it its own week, and keeps it when retention is off."""
    settings.GRIDOPS_POSITION_RETENTION_DAYS = 0
    worker = build_people()["users"]["worker_nz"]
    old = WorkerPosition.objects.create(user=worker, point="POINT(113.05 23.0)",
                                        recorded_at=timezone.now() - timedelta(days=400))
    before = partitioning.partition_count("incidents_workerposition")
    assert _default_rows("incidents_workerposition") == 1
    partitioning.maintain()
    assert _default_rows("incidents_workerposition") == 0
    assert partitioning.partition_count("incidents_workerposition") > before
    assert WorkerPosition.objects.get(pk=old.pk).user_id == worker.pk
