"""A batch of position pings and its live event are written by one statement
(`services.positions`): what is stored is what the ORM stored before (point in WGS84 after the
coordinate conversion, grid and town by where each ping is, accuracy, times) and the event is the
one the console has always been pushed, committed with the rows it tells of."""
import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from geodata.selectors import locate_many
from gridops.incidents.models import WorkerPosition
from gridops.incidents.services.points import to_storage_point
from gridops.incidents.services.positions import worker_positions_record
from gridops.realtime.models import Event

pytestmark = pytest.mark.django_db

PINGS = [
    {"lon": 113.011, "lat": 23.006, "accuracy_m": 8, "recorded_at": "2026-12-02T08:00:00+08:00"},
    {"lon": 113.5, "lat": 23.5, "recorded_at": "2026-12-02T07:00:00+08:00"},  # outside: no grid
    {"lon": 113.0159, "lat": 23.0034, "crs": "gcj02", "accuracy_m": 3.5},  # the newest (now)
]


def test_one_statement_stores_what_the_orm_stored(world, django_capture_on_commit_callbacks):
    worker = world["users"]["nz_worker"]
    locate_many([(113.0, 23.0)])  # the process's locate index is built once, before
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as pushes:
        assert worker_positions_record(user=worker, pings=PINGS) == 3
    assert len(queries) == 1, [q["sql"][:80] for q in queries]  # rows and event in one round trip
    assert len(pushes) == 1  # the event goes live after commit, as publish_event's does

    expected_points = [to_storage_point(p["lon"], p["lat"], p.get("crs"))[0] for p in PINGS]
    located = locate_many([(p.x, p.y) for p in expected_points])
    stored = list(WorkerPosition.objects.filter(user=worker).order_by("id"))
    assert len(stored) == 3
    for row, point, place, ping in zip(stored, expected_points, located, PINGS):
        assert row.point.ewkb == point.ewkb  # the same coordinates, bit for bit, and SRID 4326
        assert (row.grid_id, row.town_id) == ((place.grid.pk, place.town.pk) if place else (None, None))
        assert row.accuracy_m == ping.get("accuracy_m")
        assert before <= row.received_at <= timezone.now()
    assert stored[0].recorded_at == datetime.datetime(2026, 12, 2, 0, 0, tzinfo=datetime.UTC)
    assert stored[2].recorded_at == stored[2].received_at  # "now" for a ping without a time

    event = Event.objects.get(kind="worker.position")
    newest, place = expected_points[2], located[2]
    assert event.payload == {
        "user_id": worker.pk, "username": worker.get_username(), "lon": round(newest.x, 7),
        "lat": round(newest.y, 7), "accuracy_m": 3.5, "grid_code": place.grid.code,
        "recorded_at": stored[2].recorded_at.isoformat(),
    }
    assert set(event.audiences) == {f"user.{worker.pk}", f"town.{place.town.code}", "district"}


def test_a_batch_outside_the_district_is_pushed_to_the_worker_and_the_district_only(world):
    worker = world["users"]["nz_worker"]
    assert worker_positions_record(user=worker, pings=[{"lon": 113.5, "lat": 23.5, "accuracy_m": None}]) == 1
    row = WorkerPosition.objects.get(user=worker)
    assert row.grid_id is None and row.town_id is None and row.accuracy_m is None
    event = Event.objects.get(kind="worker.position")
    assert event.payload["grid_code"] is None
    assert set(event.audiences) == {f"user.{worker.pk}", "district"}


def test_the_batch_statement_writes_every_column_of_a_position():
    """The statement names its columns (the ORM's bulk INSERT did from the model): a new column
    must be added to it, or this fails."""
    from gridops.incidents.services.positions import _BATCH_SQL

    written = re.search(r"INSERT INTO \S+ \(([^)]*)\)", _BATCH_SQL).group(1)
    columns = {f.column for f in WorkerPosition._meta.concrete_fields if not f.primary_key}
    assert {name.strip() for name in written.split(",")} == columns
