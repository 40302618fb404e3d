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
