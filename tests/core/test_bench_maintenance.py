"""The benches keep their database as autovacuum would (bench/maintenance.py): on a server whose
autovacuum is off, a table a run fills from empty is analysed once autovacuum's own thresholds say
so, and the count is reported; on a server whose autovacuum is on, the harness does nothing."""
import time

import pytest
from django.db import connection

from bench.maintenance import Maintenance, _connect, _pass, autovacuum_as_configured, due

pytestmark = pytest.mark.django_db(transaction=True)

DEFAULTS = {"autovacuum_analyze_threshold": 50, "autovacuum_analyze_scale_factor": 0.1,
            "autovacuum_vacuum_threshold": 50, "autovacuum_vacuum_scale_factor": 0.2,
            "autovacuum_vacuum_insert_threshold": 1000, "autovacuum_vacuum_insert_scale_factor": 0.2}
TABLE = "bench_upkeep_probe"


def test_due_follows_autovacuums_thresholds():
    assert due(DEFAULTS, rows=0, modified=50, dead=0, inserted=0) == (False, False)
    assert due(DEFAULTS, rows=0, modified=51, dead=0, inserted=0) == (False, True)
    assert due(DEFAULTS, rows=10_000, modified=1_050, dead=0, inserted=0) == (False, False)
    assert due(DEFAULTS, rows=10_000, modified=1_051, dead=0, inserted=0) == (False, True)
    assert due(DEFAULTS, rows=10_000, modified=0, dead=2_051, inserted=0) == (True, False)
    assert due(DEFAULTS, rows=10_000, modified=0, dead=0, inserted=3_001) == (True, False)
    assert due({**DEFAULTS, "autovacuum_vacuum_insert_threshold": -1}, rows=0, modified=0, dead=0,
               inserted=10**6) == (False, False)  # -1 switches the insert rule off


@pytest.fixture
def filled_table():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id int)")
        cursor.execute(f"ANALYZE {TABLE}")  # empty, as a bench's table after its earlier runs are removed
        cursor.execute(f"INSERT INTO {TABLE} SELECT generate_series(1, 500)")
        cursor.execute("SELECT pg_stat_force_next_flush()")  # the counters are read by another session
    yield TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def _planned_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def _server_limits() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting::float8 FROM pg_settings WHERE name = ANY(%s)", [list(DEFAULTS)])
        return dict(cursor.fetchall())


def test_a_pass_analyses_a_table_that_grew_from_empty(filled_table):
    assert _planned_rows(filled_table) == 0
    done = Maintenance()
    conn = _connect()
    try:
        with conn.cursor() as cursor:
            deadline = time.monotonic() + 10  # the inserting session's counters reach shared memory
            while f"public.{filled_table}" not in done.tables and time.monotonic() < deadline:
                _pass(cursor, _server_limits(), done)
                time.sleep(0.2)
    finally:
        conn.close()
    assert done.tables[f"public.{filled_table}"]["analyses"] == 1
    assert _planned_rows(filled_table) == 500


def test_the_harness_runs_only_where_autovacuum_is_off(filled_table):
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        server = cursor.fetchone()[0]
    with autovacuum_as_configured(period_s=0.2) as done:
        deadline = time.monotonic() + 10
        while server == "off" and f"public.{filled_table}" not in done.tables and time.monotonic() < deadline:
            time.sleep(0.2)
    assert done.autovacuum == server
    if server == "off":  # these machines: the harness did autovacuum's work
        assert done.as_dict()["tables"][f"public.{filled_table}"] == {"analyses": 1, "vacuums": 0}
        assert _planned_rows(filled_table) == 500
    else:  # PostgreSQL's default: the server's own autovacuum does it, the harness nothing
        assert done.analyses == done.vacuums == 0


def test_bench_upkeep_off_runs_nothing(filled_table, monkeypatch):
    monkeypatch.setenv("BENCH_UPKEEP", "off")
    with autovacuum_as_configured(period_s=0.2) as done:
        time.sleep(1.0)
    assert done.analyses == done.vacuums == 0 and "BENCH_UPKEEP=off" in done.autovacuum
    assert _planned_rows(filled_table) == 0
