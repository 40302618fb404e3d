"""History load: 540,000 incidents (and their ~3.9 million transitions) with generate_history.

Baseline, in the same process and database: a plain COPY of the very same rows (exported after
our load) into unindexed copies of the two tables — the floor any loader pays just to move the
bytes. Our figure includes drawing the history, formatting it, COPY, rebuilding 20 indexes and
validating the foreign keys. The rows are deleted afterwards so repeated runs start equal.
"""
import os
import tempfile
import time

from django.db import connection, transaction

from gridops.incidents.history import generate_history
from gridops.incidents.models import Incident

INCIDENTS = int(os.environ.get("BENCH_HISTORY_INCIDENTS", "540000"))
YEARS, SEED = 3.0, 42
TABLES = ("incidents_incident", "incidents_incidenttransition")


def _plain_copy_seconds(first_id: int) -> tuple[float, int]:
    """Export what we loaded, then time COPY FROM of those rows into bare clones of the tables."""
    with tempfile.TemporaryDirectory() as folder, connection.cursor() as cur:
        paths = {t: os.path.join(folder, f"{t}.tsv") for t in TABLES}
        key = {"incidents_incident": "id", "incidents_incidenttransition": "incident_id"}
        for table in TABLES:
            with open(paths[table], "w") as out:
                cur.copy_expert(f"COPY (SELECT * FROM {table} WHERE {key[table]} >= {first_id}) TO STDOUT", out)
        size = sum(os.path.getsize(p) for p in paths.values())
        with transaction.atomic():
            for table in TABLES:
                cur.execute(f"CREATE TEMP TABLE bench_{table} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
            started = time.perf_counter()
            for table in TABLES:
                with open(paths[table]) as src:
                    cur.copy_expert(f"COPY bench_{table} FROM STDIN", src)
            seconds = time.perf_counter() - started
        return seconds, size


def _delete_from(first_id: int) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM incidents_incidenttransition WHERE incident_id >= %s", [first_id])
        cur.execute("DELETE FROM incidents_incident_co_reporters WHERE incident_id >= %s", [first_id])
        cur.execute("DELETE FROM incidents_incident WHERE id >= %s", [first_id])


def run() -> dict:
    first_id = (Incident.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    started = time.perf_counter()
    report = generate_history(incidents=INCIDENTS, years=YEARS, seed=SEED)
    ours = time.perf_counter() - started
    try:
        baseline, size = _plain_copy_seconds(first_id)
    finally:
        _delete_from(first_id)
    rows = report.incidents + report.transitions
    return {
        "incidents": report.incidents,
        "transitions": report.transitions,
        "load_seconds": round(ours, 1),
        "incidents_per_second": round(report.incidents / ours),
        "rows_per_second": round(rows / ours),
        "closed_share": round(report.closed_share, 4),
        "baseline_plain_copy_seconds": round(baseline, 1),
        "baseline_rows_per_second": round(rows / baseline),
        "copy_megabytes": round(size / 1e6),
        "ratio_ours_to_plain_copy": round(ours / baseline, 2),
        "goal": "540,000 incidents in under 180 s on 2 cores",
    }
