"""Server-side prepared statements for the hottest fixed SQL (issue 13).

psycopg2 sends every statement as text, so PostgreSQL parses and plans it on each call. For
locate (a five-way join through PostGIS) planning took 0.75 ms and running it 0.14 ms: most of
the database's CPU per located point went on planning the same statement again. `execute()` runs
a statement as `PREPARE` once per database session and `EXECUTE` afterwards; after five runs
PostgreSQL keeps a generic plan when it costs no more than the custom ones (planning ~0.01 ms).

A prepared statement belongs to the session: the names prepared are kept with the psycopg2
connection they were prepared on, so a reconnect (a restarted or failed-over PostgreSQL) prepares
again. `PREPARE` is not undone by a rollback. A schema change makes PostgreSQL re-plan it by
itself. Behind a transaction-pooling pgbouncer sessions are shared, so `GRIDOPS_PREPARED_STATEMENTS
= False` sends the plain statement instead (docs/cluster.md: no pooler is used today).
"""
from __future__ import annotations

import hashlib
import re

from django.conf import settings

_PLACEHOLDER = re.compile(r"%(%|s)")
_KEPT = "_gridops_prepared"


def enabled() -> bool:
    return bool(getattr(settings, "GRIDOPS_PREPARED_STATEMENTS", True))


def _numbered(sql: str) -> str:
    """`%s` placeholders as `$1, $2, ...` (and `%%` back to `%`), the form `PREPARE` takes."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _prepared_names(db) -> set[str]:
    """The statement names prepared on this DatabaseWrapper's current session."""
    raw = db.connection
    kept = getattr(db, _KEPT, None)
    if kept is None or kept[0] is not raw:
        kept = (raw, set())
        setattr(db, _KEPT, kept)
    return kept[1]


def _type_of(value) -> str | None:
    """The PostgreSQL type a parameter is declared with (None: not one we declare)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "float8"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list) and value:  # arrays of one plain type (`= ANY(%s)`, `unnest(%s)`)
        if all(isinstance(item, str) for item in value):
            return "text[]"
        if all(isinstance(item, float) for item in value):
            return "float8[]"
    return None


def execute(cursor, sql: str, params: list | tuple = (), *, generic: bool = False) -> None:
    """Run `sql` (`%s` placeholders) on a Django cursor as this session's prepared statement; the
    caller fetches as usual. The parameters' types (bool, int, float, str, non-empty lists of str or
    of float) are part of the statement's name; any other parameter, or prepared statements switched
    off, runs it plainly.

    `generic`: always run the generic plan. PostgreSQL keeps planning a statement whose custom plans
    look cheaper than the generic one, which an array parameter always does (the custom plan knows
    its length): locating a tablet's batch of pings planned for 2.2 ms to run for 0.2 ms. The
    setting is `SET LOCAL`, sent in the same round trip: alone it ends with the statement's
    implicit transaction; inside a caller's transaction it lasts until that ends, where it only
    concerns prepared statements (the ORM's are never prepared), all fixed-shape lookups."""
    types = tuple(_type_of(value) for value in params)
    if not enabled() or None in types:
        cursor.execute(sql, params)
        return
    name = "gridops_" + hashlib.sha1(f"{sql}|{types}".encode()).hexdigest()[:20]
    names = _prepared_names(cursor.db)
    if name not in names:
        declared = f" ({', '.join(types)})" if types else ""
        cursor.execute(f"PREPARE {name}{declared} AS {_numbered(sql)}")  # no params: no % escapes
        names.add(name)
    run = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if generic:
        run = "SET LOCAL plan_cache_mode = force_generic_plan; " + run
    cursor.execute(run, params)
