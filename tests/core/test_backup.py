"""Backup then restore into an empty database gives back every row, triggers included."""
import subprocess
import uuid

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from geodata.models import Zone


@pytest.fixture
def empty_database():
    name = f"gridops_restore_{uuid.uuid4().hex[:8]}"
    settings_dict = connection.settings_dict
    args = ["-h", settings_dict["HOST"] or "127.0.0.1", "-U", settings_dict["USER"] or "postgres"]
    subprocess.run(["createdb", *args, name], check=True)
    yield name
    subprocess.run(["dropdb", *args, "--if-exists", name], check=True)


def _count(database: str, sql: str) -> int:
    settings_dict = connection.settings_dict
    conn = psycopg2.connect(dbname=database, host=settings_dict["HOST"] or "127.0.0.1", user=settings_dict["USER"] or "postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path, empty_database, tiny_district):
    dump = tmp_path / "gridops.dump"
    call_command("backup", str(dump))
    assert dump.stat().st_size > 0
    call_command("restore", str(dump), "--database-name", empty_database)
    assert _count(empty_database, "SELECT count(*) FROM geodata_zone") == Zone.objects.count() == 11
    assert _count(empty_database, "SELECT count(*) FROM pg_trigger WHERE tgname = 'geodata_zone_parent_level'") == 1
    assert _count(empty_database, "SELECT round(sum(ST_Area(geom::geography))) FROM geodata_zone WHERE level = 4") > 0


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(tmp_path, tiny_district):
    dump = tmp_path / "gridops.dump"
    call_command("backup", str(dump))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(dump), "--database-name", connection.settings_dict["NAME"])


def test_restore_of_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "missing.dump"))


# --- a restore of demo-like data --------------------------------------------------------------

INCIDENT_FINGERPRINT = (
    "SELECT id, status, version, client_key, reporter_id, town_id, grid_id, event_type_id, escalation_level, "
    "ST_AsEWKT(point), reported_at, response_deadline FROM incidents_incident ORDER BY id")


def _rows(database: str, sql: str) -> list[tuple]:
    settings_dict = connection.settings_dict
    conn = psycopg2.connect(dbname=database, host=settings_dict["HOST"] or "127.0.0.1",
                            port=settings_dict["PORT"] or 5432, user=settings_dict["USER"] or "postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        conn.close()


def _manage_on(database: str, *args: str) -> subprocess.CompletedProcess:
    """A management command in a fresh process against another database (as an operator would)."""
    import os
    import sys
    from pathlib import Path

    settings_dict = connection.settings_dict
    url = (f"postgis://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
           f"{settings_dict['PORT'] or 5432}/{database}")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="gridops.settings.test")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=300)


def _demo_like_district() -> list[int]:
    """The shipped zones, catalogue, accounts and ledger demo, plus incidents in every status
    reached through the services (reports by key, transitions, escalation, a merge)."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridops.core.demo import run_demo_steps
    from gridops.incidents.models import EventType
    from gridops.incidents.services.escalation import escalate_overdue
    from gridops.incidents.services.intake import incident_report
    from gridops.incidents.services.lifecycle import incident_merge, incident_transition

    run_demo_steps(log=lambda message: None, only=["load_demo_zones", "load_demo_catalogue",
                                                   "load_demo_accounts", "load_demo_ledger"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM geodata_zone "
                       "WHERE level = 4 ORDER BY code LIMIT 40) g")
        points = cursor.fetchall()
    User = get_user_model()
    operator = User.objects.get(username="district_op")
    codes = list(EventType.objects.filter(active=True, department__isnull=False).values_list("code", flat=True)[:5])
    ids = []
    for n, (x, y) in enumerate(points):
        incident, _ = incident_report(
            reporter=operator, lon=x, lat=y, event_type=codes[n % len(codes)], source="hotline_12345",
            client_key=f"backup-{n}", description=f"备份测试 {n}",
            reported_at=timezone.now() - timedelta(days=n % 4))
        ids.append(incident.pk)
    for pk in ids[:10]:
        incident_transition(user=operator, incident_id=pk, status="registered", version=1)
    incident_merge(user=operator, incident_id=ids[11], into_id=ids[12], version=1)
    escalate_overdue()
    return ids


@pytest.mark.django_db(transaction=True)
def test_restore_of_demo_data_passes_check_zones_and_ledger_audit_and_keeps_every_incident(
        tmp_path, empty_database):
    from geodata.models import Level

    ids = _demo_like_district()
    source = connection.settings_dict["NAME"]
    assert Zone.objects.filter(level=Level.GRID).count() > 900
    dump = tmp_path / "gridops.dump"
    call_command("backup", str(dump))
    call_command("restore", str(dump), "--database-name", empty_database)

    zones = _manage_on(empty_database, "check_zones")
    assert zones.returncode == 0, zones.stdout + zones.stderr
    ledger = _manage_on(empty_database, "ledger_audit")
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    assert "ledger audit OK" in ledger.stdout and " 0 entries" not in ledger.stdout

    restored = _rows(empty_database, INCIDENT_FINGERPRINT)
    assert restored == _rows(source, INCIDENT_FINGERPRINT)
    assert {row[0] for row in restored} >= set(ids)
    for table in ("incidents_incidenttransition", "realtime_event", "ledger_entry", "ledger_node", "geodata_zone",
                  "auth_user", "core_auditentry"):
        sql = f"SELECT count(*) FROM {table}"
        assert _rows(empty_database, sql) == _rows(source, sql), table
    # Sequences come back too: the next incident gets a fresh id, not one already used.
    next_id = _rows(empty_database, "SELECT nextval(pg_get_serial_sequence('incidents_incident', 'id'))")[0][0]
    assert next_id > max(ids)
