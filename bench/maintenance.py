"""The routine maintenance a PostgreSQL server does by itself, done by the harness where it is off.

The machines these benches run on start PostgreSQL with `autovacuum = off` (a CI setting of the
machine, `/etc/postgresql/15/main/conf.d/90-ci.conf`); PostgreSQL's default, and every deployment
GridOps documents, has it on. Without it a table the run fills from empty keeps the statistics of
an empty table: in a 2-minute load test from an empty incident table, PostgreSQL still planned for
one row at 4,277. The incident list then joined and sorted every incident for its 20 rows (53 ms
instead of an index scan), and the foreign-key checks on incidents took 0.23 ms each. The figures
were those of a neglected server, not of GridOps.

While a bench's server runs (`bench.support.live_server`), `autovacuum_as_configured` checks the
tables' counters once every `autovacuum_naptime` (as the launcher visits each database) and runs
`ANALYZE` / `VACUUM` on each table that autovacuum's own thresholds, read from the server, say is
due:

- analyse when changes since the last analyse exceed
  `autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × rows`;
- vacuum when dead rows exceed `autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × rows`,
  or rows inserted since the last vacuum exceed the `..._insert_threshold` and `..._insert_scale_factor`
  rule.

It does nothing on a server whose autovacuum is on, or with `BENCH_UPKEEP=off` (to measure what
a neglected database costs). What it ran is counted in the result, so a figure says it was taken
with this.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
from dataclasses import dataclass, field

from psycopg2 import sql

logger = logging.getLogger(__name__)

_SETTINGS = ("autovacuum_naptime", "autovacuum_analyze_threshold", "autovacuum_analyze_scale_factor",
             "autovacuum_vacuum_threshold", "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_threshold",
             "autovacuum_vacuum_insert_scale_factor")

_COUNTERS_SQL = """
SELECT s.schemaname, s.relname, greatest(c.reltuples, 0), s.n_mod_since_analyze, s.n_dead_tup, s.n_ins_since_vacuum
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
"""


@dataclass
class Maintenance:
    """What the harness ran (nothing when the server's autovacuum is on)."""

    autovacuum: str = "unknown"
    analyses: int = 0
    vacuums: int = 0
    tables: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"server_autovacuum": self.autovacuum, "harness_analyses": self.analyses,
                "harness_vacuums": self.vacuums,
                "tables": dict(sorted(self.tables.items(), key=lambda item: -sum(item[1].values()))[:8])}


def due(limits: dict, rows: float, modified: int, dead: int, inserted: int) -> tuple[bool, bool]:
    """(vacuum, analyse) as autovacuum decides them for one table."""
    analyse = modified > limits["autovacuum_analyze_threshold"] + limits["autovacuum_analyze_scale_factor"] * rows
    vacuum = dead > limits["autovacuum_vacuum_threshold"] + limits["autovacuum_vacuum_scale_factor"] * rows
    if limits["autovacuum_vacuum_insert_threshold"] >= 0:  # -1 switches the insert rule off
        vacuum = vacuum or inserted > (limits["autovacuum_vacuum_insert_threshold"]
                                       + limits["autovacuum_vacuum_insert_scale_factor"] * rows)
    return vacuum, analyse


def _connect():
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                            host=db.get("HOST") or None, port=db.get("PORT") or None)
    conn.autocommit = True  # VACUUM refuses to run in a transaction
    return conn


def _pass(cursor, limits: dict, done: Maintenance) -> None:
    cursor.execute(_COUNTERS_SQL)
    for schema, table, rows, modified, dead, inserted in cursor.fetchall():
        vacuum, analyse = due(limits, float(rows), modified or 0, dead or 0, inserted or 0)
        if not (vacuum or analyse):
            continue
        what = "VACUUM (ANALYZE)" if vacuum and analyse else "VACUUM" if vacuum else "ANALYZE"
        cursor.execute(sql.SQL(what + " {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        counts = done.tables.setdefault(f"{schema}.{table}", {"analyses": 0, "vacuums": 0})
        if analyse:
            done.analyses += 1
            counts["analyses"] += 1
        if vacuum:
            done.vacuums += 1
            counts["vacuums"] += 1


@contextlib.contextmanager
def autovacuum_as_configured(done: Maintenance | None = None, *, period_s: float | None = None):
    """Yields `done` (or a new `Maintenance`); while inside, keeps the tables as autovacuum would
    (module docstring)."""
    done = done if done is not None else Maintenance()
    if os.environ.get("BENCH_UPKEEP", "on") == "off":
        done.autovacuum = "not checked (BENCH_UPKEEP=off): nothing run"
        yield done
        return
    try:
        conn = _connect()
    except Exception as exc:  # the bench still runs; its result says maintenance is unknown
        logger.warning("bench maintenance: no connection (%s)", exc)
        yield done
        return
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            done.autovacuum = cursor.fetchone()[0]
            cursor.execute("SELECT name, setting::float8 FROM pg_settings WHERE name = ANY(%s)", [list(_SETTINGS)])
            limits = {name: float(value) for name, value in cursor.fetchall()}
    except Exception as exc:
        logger.warning("bench maintenance: settings unreadable (%s)", exc)
        conn.close()
        yield done
        return
    if done.autovacuum == "on":
        conn.close()
        yield done
        return
    period_s = period_s or limits["autovacuum_naptime"]
    stop = threading.Event()

    def run() -> None:
        with conn.cursor() as cursor:
            while not stop.wait(period_s):
                try:
                    _pass(cursor, limits, done)
                except Exception as exc:  # keep the run going; the count shows what was done
                    logger.warning("bench maintenance: %s", exc)

    thread = threading.Thread(target=run, name="bench-autovacuum", daemon=True)
    thread.start()
    try:
        yield done
    finally:
        stop.set()
        conn.cancel()  # a VACUUM under way ends now; the server is going away with the bench
        thread.join(timeout=30)
        conn.close()
