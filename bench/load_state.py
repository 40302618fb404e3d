"""The database a load-test run starts from: the same every time.

Every run of the mix writes about 30,000 incidents in ten minutes. Kept, they made each later run
slower than the one before (low-zoom tiles aggregate every visible incident; the list counts them),
so two runs of the same code could not be compared, and a figure depended on how many runs the
bench database had seen. Each run therefore starts by deleting what earlier runs' simulated
clients wrote (their reports carry `lt-` client keys, their Open311 requests a marked description)
with the rows that belong to those incidents, and records how many incidents it started with.
Nothing else in the bench database is touched.
"""
from __future__ import annotations

# Rows that point at an incident: deleted with it, or let go (a sensor keeps its history).
_DEPENDENT_DELETES = ("incidents_incident_co_reporters", "incidents_incidentphoto",
                      "incidents_incidenttransition", "open311_open311submission")
_DEPENDENT_NULLS = (("sensors_device", "silent_incident_id"), ("sensors_reading", "incident_id"),
                    ("incidents_incident", "merged_into_id"))
OPEN311_MARK = "open311 load "


def forget_earlier_runs() -> dict:
    """Delete earlier runs' incidents; returns {"removed": n, "incidents_at_start": n}."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE load_gone ON COMMIT DROP AS SELECT id FROM incidents_incident "
                       "WHERE client_key LIKE 'lt-%%' OR description LIKE %s", [OPEN311_MARK + "%"])
        cursor.execute("SELECT count(*) FROM load_gone")
        removed = cursor.fetchone()[0]
        if removed:
            for table, column in _DEPENDENT_NULLS:
                cursor.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IN (SELECT id FROM load_gone)")
            for table in _DEPENDENT_DELETES:
                cursor.execute(f"DELETE FROM {table} WHERE incident_id IN (SELECT id FROM load_gone)")
            cursor.execute("DELETE FROM incidents_incident WHERE id IN (SELECT id FROM load_gone)")
        cursor.execute("SELECT count(*) FROM incidents_incident")
        at_start = cursor.fetchone()[0]
    if removed:
        with connection.cursor() as cursor:  # autovacuum is off on these machines (bench/__main__.py)
            cursor.execute("VACUUM (ANALYZE) incidents_incident, incidents_incidenttransition, incidents_incidentphoto")
    return {"removed": removed, "incidents_at_start": at_start}
