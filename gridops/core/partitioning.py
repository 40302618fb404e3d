"""Time partitioning of the tables that grow without bound (native PostgreSQL + pg_partman).

Which tables, by what, and why (the one table of it; docs/scale-out.md explains the choices):

| table | key | interval | retention |
|---|---|---|---|
| realtime_event | created_at | daily | `GRIDOPS_REALTIME_RETENTION_DAYS` (14): the catch-up window; a client away longer reloads |
| incidents_workerposition | recorded_at | weekly | `GRIDOPS_POSITION_RETENTION_DAYS` (90) |
| incidents_incidenttransition | at | monthly | none: the history of a case is a record |
| approvals_caseevent | at | monthly | none: the history of an approval case is a record |

Incidents, approval cases and tickets themselves are not partitioned: other tables reference
them by `id` (photos, transitions, case documents, case events, the M2M tables), and a foreign key
to a partitioned table must carry the partition key too, which Django cannot express (no
composite foreign keys, even with 5.2's CompositePrimaryKey). Their growth is carried by their
history tables, which are partitioned. None of the partitioned tables is referenced by a foreign
key, so Django keeps `id` as the model's primary key while SQL holds `(id, <key>)`; the id still
comes from one sequence, so it stays unique.

pg_partman creates partitions ahead (`premake`) and drops expired ones; `maintain()` runs it
(the worker tick, `manage.py maintain_partitions`) and applies the retention settings first, so
they come from the environment like every other setting.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class PartitionedTable:
    table: str
    column: str
    interval: str  # pg_partman's names: daily, weekly, monthly
    premake: int
    retention: str | None = None  # dotted path of the app's setting reader, in days (None: keep all)

    def retention_days(self) -> int | None:
        if self.retention is None:
            return None
        module_name, func_name = self.retention.rsplit(".", 1)
        return getattr(importlib.import_module(module_name), func_name)() or None


TABLES = {
    spec.table: spec for spec in (
        PartitionedTable("realtime_event", "created_at", "daily", premake=7,
                         retention="gridops.realtime.conf.retention_days"),
        PartitionedTable("incidents_workerposition", "recorded_at", "weekly", premake=4,
                         retention="gridops.incidents.conf.position_retention_days"),
        PartitionedTable("incidents_incidenttransition", "at", "monthly", premake=3),
        PartitionedTable("approvals_caseevent", "at", "monthly", premake=3),
    )
}


def _fetch(cursor, sql: str, params=()) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def convert_to_partitioned(table: str, schema_editor=None) -> None:
    """Turn an existing table into a range-partitioned one, keeping its rows, indexes and foreign keys.

    The copy is one INSERT ... SELECT inside the migration's transaction: fine for the sizes a
    migration meets here (a demo, a fresh install); a live site with a large table would run
    pg_partman's `partition_data_proc` instead (docs/scale-out.md). Identity columns cannot live
    on a partitioned table in PostgreSQL 15, so `id` takes its values from a sequence it owns.
    """
    spec = TABLES[table]
    conn = schema_editor.connection if schema_editor is not None else connection
    with conn.cursor() as cursor:
        indexes = [row[0] for row in _fetch(cursor, (
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s "
            "AND indexname <> %s"), [table, f"{table}_pkey"])]
        foreign = _fetch(cursor, (
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'"), [table])
        (start,) = _fetch(cursor, f'SELECT min("{spec.column}") FROM "{table}"')[0]
        old = f"{table}_unpartitioned"
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        cursor.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                       f'INCLUDING STORAGE) PARTITION BY RANGE ("{spec.column}")')
        cursor.execute(
            "SELECT partman.create_parent(p_parent_table => %s, p_control => %s, p_type => 'native', "
            "p_interval => %s, p_premake => %s, p_start_partition => %s)",
            [f"public.{table}", spec.column, spec.interval, spec.premake,
             start.isoformat() if start is not None else None])
        cursor.execute("UPDATE partman.part_config SET infinite_time_partitions = true WHERE parent_table = %s",
                       [f"public.{table}"])
        cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')
        cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{old}"')
        (last_id,) = cursor.fetchone()
        cursor.execute(f'DROP TABLE "{old}"')
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id, "{spec.column}")')
        cursor.execute(f'CREATE SEQUENCE "{table}_id_seq" OWNED BY "{table}".id')
        cursor.execute("SELECT setval(%s, %s, %s)", [f"{table}_id_seq", max(last_id, 1), last_id > 0])
        cursor.execute(f"ALTER TABLE \"{table}\" ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")
        for definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def partition_count(table: str) -> int:
    """How many partitions (the default one included) the table has now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", [table])
        return cursor.fetchone()[0]


def maintain() -> None:
    """Apply the retention settings, move rows that landed in a default partition into their
    own (history loaded from before the table's first partition, such as the demo's year of
    incidents, or a device clock far off), and let pg_partman create partitions ahead and drop
    expired ones. The worker tick calls this hourly; `manage.py maintain_partitions` once."""
    with connection.cursor() as cursor:
        for spec in TABLES.values():
            parent = f"public.{spec.table}"
            days = spec.retention_days()
            cursor.execute(
                "UPDATE partman.part_config SET retention = %s, retention_keep_table = false, "
                "retention_keep_index = false WHERE parent_table = %s", [f"{days} days" if days else None, parent])
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{spec.table}_default")')
            if cursor.fetchone()[0]:
                cursor.execute("SELECT partman.partition_data_time(%s, p_batch_count => 100000, p_analyze => false)",
                               [parent])
        cursor.execute("SELECT partman.run_maintenance(p_analyze => false, p_jobmon => false)")
