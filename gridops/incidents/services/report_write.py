"""A report's rows in one statement: the incident, its intake history and its live event.

Intake used to write them in a transaction of five round trips (BEGIN, three INSERTs, COMMIT);
under load each round trip is also a wait to be scheduled again, and they were ~45 % of a
report's samples in the intake profile (issue 13). One statement is atomic on its own, so no
transaction is opened for it: a CTE inserts the incident, and the history rows and the event
are inserted from the row it returns.

Idempotency: the incident is inserted `ON CONFLICT DO NOTHING`, so when the unique
(reporter, client_key) index already holds the key (a retry, or two retries racing: the second
waits for the first to commit), nothing at all is written and the caller answers from the row
that won. The incident's columns are compiled by the ORM (field conversions, `auto_now`), so a
new column needs no change here; the statement's text is compiled once per process.
"""
from __future__ import annotations

import functools

from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from gridops.realtime.services import event_from_row_recorded, event_from_row_sql, event_unsaved

from ..models import Incident, IncidentTransition
from .trail import incident_audiences, incident_payload

_POINT_SRID = Incident._meta.get_field("point").srid
_HISTORY_COLUMNS = ("action", "actor_id", "from_status", "to_status", "department_id", "note", "at")
_HISTORY_TYPES = ("varchar[]", "integer[]", "varchar[]", "varchar[]", "integer[]", "text[]", "timestamptz[]")
_HISTORY_SQL = (
    f"INSERT INTO {IncidentTransition._meta.db_table} (incident_id, {', '.join(_HISTORY_COLUMNS)}) "
    f"SELECT inc.id, {', '.join('h.' + c for c in _HISTORY_COLUMNS)} "
    f"FROM inc, unnest({', '.join('%s::' + t for t in _HISTORY_TYPES)}) AS h({', '.join(_HISTORY_COLUMNS)})"
)


@functools.cache
def _incident_fields() -> tuple:
    return tuple(f for f in Incident._meta.concrete_fields if f is not Incident._meta.pk and not f.generated)


def _orm_insert(incident: Incident) -> tuple[str, list]:
    """The incident's INSERT as the ORM compiles it (field conversions, `auto_now`, quoting)."""
    query = InsertQuery(Incident, on_conflict=OnConflict.IGNORE)
    query.insert_values(list(_incident_fields()), [incident])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [Incident._meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, list(params)


@functools.cache
def _insert_sql() -> str:
    # Every placeholder is a plain `%s` for a point in the field's SRID (`_incident_insert` checks),
    # so the statement's text is the same for every report: compiled once, from a blank incident.
    return _orm_insert(Incident(point=Point(0, 0, srid=_POINT_SRID)))[0]


def _incident_insert(incident: Incident) -> tuple[str, list]:
    """The ORM's INSERT for this incident, its text compiled once per process.

    Compiling it (the query, its compiler, a placeholder per field) cost half a millisecond of CPU
    per report, for text that never changes; each value still goes through its field's own
    `pre_save` and `get_db_prep_save`, as the ORM's compiler does (`test_report_write` holds the two
    equal)."""
    if incident.point is None or incident.point.srid != _POINT_SRID:
        raise ValueError("an incident's point is stored in the field's own SRID (see points.to_storage_point)")
    params = [field.get_db_prep_save(field.pre_save(incident, add=True), connection) for field in _incident_fields()]
    return _insert_sql(), params


def _history_params(history: list[IncidentTransition]) -> list:
    # Unnested in order, so the rows get ids in the order of `history` (it is read by (at, id)).
    return [[getattr(row, column) for row in history] for column in _HISTORY_COLUMNS]


def report_insert(incident: Incident, history: list[IncidentTransition]) -> bool:
    """Insert the incident, its history and its `incident.created` event (what `trail.publish_incident`
    records, the same payload and audiences) in one statement; False (nothing written) when the
    client key exists. Intake alone calls it, after its own checks (`core.authz` included).

    On success the incident has its id and the event's push is queued for after commit
    (`publish_event`'s contract: never pushed for a rolled-back write)."""
    event = event_unsaved(kind="incident.created", payload=incident_payload(incident),
                          audiences=incident_audiences(incident, created=True))
    incident_sql, incident_params = _incident_insert(incident)
    event_sql, event_params = event_from_row_sql(event, source="inc")
    sql = (f"WITH inc AS ({incident_sql}), hist AS ({_HISTORY_SQL}), ev AS ({event_sql}) "
           "SELECT inc.id, ev.id FROM inc, ev")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*incident_params, *_history_params(history), *event_params])
        row = cursor.fetchone()
    if row is None:
        if not incident.client_key:
            # Only the client-key index can turn the insert away; anything else is not a retry.
            raise IntegrityError("the incident row was not inserted")
        return False
    incident.pk = row[0]
    incident._state.adding, incident._state.db = False, connection.alias
    event_from_row_recorded(event, event_id=row[1], row_id=incident.pk)
    return True
