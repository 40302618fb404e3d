"""A plausible incident history for demos, KPIs and benchmarks, written with PostgreSQL COPY.

Why COPY and numpy: a district of 1.2 million people produces ~180,000 cases a year, and three
years (540,000 incidents, ~3.7 million transition rows) must load in minutes. The ORM would need
hours; here every random draw is a vectorised numpy operation and rows stream into COPY in
batches, inside one transaction with the incident table locked against concurrent writers.

What the history looks like, and how a batch is drawn, is `history_model.py`; this module
turns batches into COPY text and loads them.
"""
from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from gridops.core.demo import SEED_CLOSURE_RATE

from .history_model import Batch, Grids, Types, draw_batch, load_grids, load_types, report_times
from .models import EventType, Incident, IncidentTransition, Source, Status

SURNAMES = "陈李黄梁何罗林吴张冯关区潘邓麦霍卢谢杜"
BATCH = 50_000


@dataclass
class HistoryReport:
    incidents: int = 0
    transitions: int = 0
    seconds: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    status_counts: dict = field(default_factory=dict)

    @property
    def closed_share(self) -> float:
        return self.status_counts.get(Status.CLOSED, 0) / self.incidents if self.incidents else 0.0

    @property
    def closure_rate(self) -> float:
        """办结率 as the KPI defines it: resolved, verified or closed over all not void."""
        done = sum(self.status_counts.get(s, 0) for s in (Status.RESOLVED, Status.VERIFIED, Status.CLOSED))
        counted = self.incidents - self.status_counts.get(Status.VOID, 0)
        return done / counted if counted else 0.0

    def summary(self) -> str:
        rate = self.incidents / self.seconds if self.seconds else 0
        return (f"history: {self.incidents} incidents, {self.transitions} transitions "
                f"({self.first:%Y-%m-%d} – {self.last:%Y-%m-%d}) in {self.seconds:.1f}s "
                f"({rate:,.0f} incidents/s); closed {self.closed_share:.1%}, 办结率 {self.closure_rate:.2%}")


# --- COPY text ---------------------------------------------------------------------------------

INCIDENT_COLUMNS = [
    "id", "point", "input_crs", "accuracy_m", "address", "priority", "emergency", "description", "source",
    "reporter_name", "reporter_phone", "reporter_email", "client_key", "status", "version", "district_notified",
    "routing_reason", "auto_dispatched", "reported_at", "registered_at", "dispatched_at", "accepted_at",
    "resolved_at", "verified_at", "closed_at", "updated_at", "response_deadline", "resolution_deadline",
    "escalation_level", "escalated_at", "area_id", "category_id", "command_centre_id", "department_id",
    "event_type_id", "grid_id", "merged_into_id", "reporter_id", "town_id", "village_id", "routing_rule_id",
]
TRANSITION_COLUMNS = ["incident_id", "action", "from_status", "to_status", "note", "at", "department_id"]
NULL = "\\N"


def _ts(values: np.ndarray) -> list[str]:
    """Epoch seconds → 'YYYY-MM-DD HH:MM:SS+00' (vectorised), NaN → NULL."""
    nan = np.isnan(values)
    text = np.datetime_as_string(np.where(nan, 0, values).astype("int64").astype("datetime64[s]"), unit="s")
    return [NULL if missing else f"{t}+00" for t, missing in zip(text.tolist(), nan.tolist())]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _incident_text(b: Batch, grids: Grids, types: Types, rng) -> str:
    n = len(b.ids)
    stage_times = np.vstack([b.reported, b.registered, b.dispatched, b.returned, b.redispatched, b.accepted,
                             b.resolved, b.verified, b.closed, b.voided])
    updated = np.nanmax(stage_times, axis=0)
    version = (~np.isnan(stage_times)).sum(axis=0)
    personal = np.isin(b.source, [Source.HOTLINE, Source.CITIZEN])
    surnames = rng.integers(0, len(SURNAMES), n)
    titles = rng.integers(0, 2, n)
    phones = rng.integers(3_000_000_000, 9_999_999_999, n)
    columns = {
        "reported": _ts(b.reported), "registered": _ts(b.registered),
        "dispatched": _ts(np.where(np.isnan(b.redispatched), b.dispatched, b.redispatched)),
        "accepted": _ts(b.accepted), "resolved": _ts(b.resolved), "verified": _ts(b.verified),
        "closed": _ts(b.closed), "updated": _ts(updated), "response": _ts(b.response_deadline),
        "resolution": _ts(b.resolution_deadline), "escalated": _ts(b.escalated),
    }
    lines = []
    for i in range(n):
        g, t = b.grid[i], b.type[i]
        src = b.source[i]
        if personal[i]:
            name = SURNAMES[surnames[i]] + ("先生", "女士")[titles[i]]
            phone = f"1{phones[i]}"
        else:
            name = phone = ""
        emergency = "t" if types.emergency[t] else "f"
        accuracy = NULL if np.isnan(b.accuracy[i]) else f"{b.accuracy[i]:.1f}"
        lines.append("\t".join((
            str(b.ids[i]), f"SRID=4326;POINT({b.x[i]:.7f} {b.y[i]:.7f})",
            "gcj02" if src == Source.GRID_WORKER else "wgs84", accuracy, _escape(grids.address[g]),
            types.priority[t], emergency, _escape(types.name[t]), src, name, phone, "", "", b.status[i],
            str(version[i]), emergency, types.reason[t], "t" if b.auto[i] else "f",
            columns["reported"][i], columns["registered"][i], columns["dispatched"][i], columns["accepted"][i],
            columns["resolved"][i], columns["verified"][i], columns["closed"][i], columns["updated"][i],
            columns["response"][i], columns["resolution"][i], str(b.escalation_level[i]), columns["escalated"][i],
            str(grids.area[g]), str(types.category[t]), str(grids.centre[g] or NULL), str(types.department[t]),
            str(types.ids[t]), str(grids.ids[g]), NULL, NULL, str(grids.town[g]), str(grids.village[g]), NULL,
        )))
    return "\n".join(lines) + "\n"


def _transition_text(b: Batch, types: Types) -> tuple[str, int]:
    """The history rows of every incident: report, each status change, escalations."""
    A, S = IncidentTransition.Action, Status
    dept = np.array(types.department)[b.type]
    auto_action = np.where(b.auto, A.AUTO_DISPATCH, A.TRANSITION)
    steps = [
        # (times, action(s), from, to, note)
        (b.reported, A.REPORT, "", S.REPORTED, "历史数据导入"),
        (b.registered, auto_action, S.REPORTED, S.REGISTERED, ""),
        (b.dispatched, auto_action, S.REGISTERED, S.DISPATCHED, ""),
        (b.returned, A.TRANSITION, S.DISPATCHED, S.RETURNED, "非本部门职责，退回重新派遣"),
        (b.redispatched, A.TRANSITION, S.RETURNED, S.DISPATCHED, ""),
        (b.accepted, A.TRANSITION, S.DISPATCHED, S.IN_PROGRESS, ""),
        (b.resolved, A.TRANSITION, S.IN_PROGRESS, S.RESOLVED, "已处置完毕"),
        (b.verified, A.TRANSITION, S.RESOLVED, S.VERIFIED, "核查属实"),
        (b.closed, A.TRANSITION, S.VERIFIED, S.CLOSED, ""),
        (b.voided, A.TRANSITION, S.REPORTED, S.VOID, "无效上报，作废"),
        (b.escalated, A.ESCALATE, S.DISPATCHED, S.DISPATCHED, "超时升级"),
    ]
    chunks, count = [], 0
    for times, action, from_status, to_status, note in steps:
        idx = np.flatnonzero(~np.isnan(times))
        if not len(idx):
            continue
        stamps = _ts(times[idx])
        actions = action[idx] if isinstance(action, np.ndarray) else None
        tail = f"\t{from_status}\t{to_status}\t{note}\t"
        ids, depts = b.ids[idx].tolist(), dept[idx].tolist()
        if actions is None:
            chunks.append("".join(f"{i}\t{action}{tail}{s}\t{d}\n" for i, s, d in zip(ids, stamps, depts)))
        else:
            chunks.append("".join(f"{i}\t{a}{tail}{s}\t{d}\n" for i, a, s, d in zip(ids, actions.tolist(), stamps, depts)))
        count += len(idx)
    return "".join(chunks), count


# --- loading -----------------------------------------------------------------------------------

def _copy(cursor, table: str, columns: list[str], text: str) -> None:
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text))


BULK_THRESHOLD = 100_000


class _BulkLoad:
    """Set aside secondary indexes and foreign keys of the tables during a big load, then rebuild.

    Maintaining 15 indexes row by row and queueing one deferred foreign-key check per row and
    constraint (~8 million for 540,000 incidents) is most of the cost of a big COPY; building each
    index once and validating each constraint with one join is several times faster (the
    pg_restore way). Everything happens in the caller's transaction, so a failure restores the
    tables as they were. Meanwhile the tables are locked (ACCESS EXCLUSIVE): bulk loads are for
    setting up demos and benches, not for a live system; small loads keep everything in place.
    """

    def __init__(self, cursor, tables: list[str]):
        self.cursor, self.tables = cursor, tables
        self.constraints: list[tuple[str, str, str]] = []
        self.indexes: list[str] = []

    def __enter__(self):
        cur = self.cursor
        # Fire the caller's pending deferred checks now: ALTER TABLE refuses tables with pending events.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for table in self.tables:
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname", [table])
            for name, definition in cur.fetchall():
                self.constraints.append((table, name, definition))
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            # Indexes that back no constraint (primary keys and unique constraints stay).
            cur.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                        "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1", [table])
            for name, definition in cur.fetchall():
                self.indexes.append(definition)
                cur.execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            return False  # the transaction rolls back and restores everything
        for definition in self.indexes:
            self.cursor.execute(definition)
        for table, name, definition in self.constraints:
            self.cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are INITIALLY DEFERRED
        self.cursor.execute(f"ANALYZE {', '.join(self.tables)}")
        return False


def generate_history(*, incidents: int, years: float = 3.0, seed: int = 1, now: datetime | None = None,
                     log=None, batch: int = BATCH, bulk: bool | None = None,
                     closure_rate: float | None = SEED_CLOSURE_RATE) -> HistoryReport:
    """Write `incidents` plausible incidents over the last `years` (one transaction).

    `closure_rate` is the 办结率 the history reproduces (the seed's by default; None leaves the
    durations alone).
    New ids continue after the highest existing one (the table is locked against other writers
    meanwhile) and the id sequence is moved past them afterwards. `bulk` (default: from
    BULK_THRESHOLD incidents up) rebuilds indexes and foreign keys once instead of per row.
    """
    if incidents <= 0:
        raise ValueError("incidents must be positive")
    if years <= 0:
        raise ValueError("years must be positive")
    if closure_rate is not None and not 0 < closure_rate <= 1:
        raise ValueError("closure_rate must be in (0, 1]")
    started = time.perf_counter()
    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    grids, types = load_grids(rng), load_types(rng)
    report = HistoryReport()
    incident_table, transition_table = Incident._meta.db_table, IncidentTransition._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(f"LOCK TABLE {incident_table} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {incident_table}")
        first_id = cur.fetchone()[0] + 1
        reported = np.sort(report_times(rng, incidents, years, now))
        bulk = incidents >= BULK_THRESHOLD if bulk is None else bulk
        loader = _BulkLoad(cur, [incident_table, transition_table]) if bulk else contextlib.nullcontext()
        with loader:
            _copy_batches(cur, rng, reported, first_id, grids, types, now, batch, report, log, started, closure_rate)
        if log and bulk:
            log(f"history: indexes and constraints rebuilt, {time.perf_counter() - started:.1f}s")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{incident_table}', 'id'), "
                    f"(SELECT MAX(id) FROM {incident_table}))")
    report.first = datetime.fromtimestamp(reported[0], tz=timezone.get_current_timezone())
    report.last = datetime.fromtimestamp(reported[-1], tz=timezone.get_current_timezone())
    report.seconds = time.perf_counter() - started
    return report


def _copy_batches(cur, rng, reported: np.ndarray, first_id: int, grids: Grids, types: Types, now: datetime,
                  batch: int, report: HistoryReport, log, started: float, closure_rate: float | None) -> None:
    """Draw and COPY the incidents and their transitions, `batch` incidents at a time."""
    incident_table, transition_table = Incident._meta.db_table, IncidentTransition._meta.db_table
    for start in range(0, len(reported), batch):
        chunk = reported[start:start + batch]
        ids = np.arange(first_id + start, first_id + start + len(chunk))
        b = draw_batch(rng, ids, chunk, grids, types, now.timestamp(), closure_rate)
        _copy(cur, incident_table, INCIDENT_COLUMNS, _incident_text(b, grids, types, rng))
        text, count = _transition_text(b, types)
        _copy(cur, transition_table, TRANSITION_COLUMNS, text)
        report.incidents += len(chunk)
        report.transitions += count
        for value, number in zip(*np.unique(b.status.astype(str), return_counts=True)):
            report.status_counts[value] = report.status_counts.get(value, 0) + int(number)
        if log:
            log(f"history: {report.incidents}/{len(reported)} incidents, {report.transitions} transitions, "
                f"{time.perf_counter() - started:.1f}s")


DEMO_INCIDENTS, DEMO_YEARS, DEMO_SEED = 20_000, 1.0, 311


def load_demo_history(log) -> None:
    """Demo step: a year of history (20,000 incidents), only into an empty incident table."""
    if Incident.objects.exists():
        log("history: incidents present, skipped")
        return
    if not EventType.objects.filter(active=True).exists():
        log("history: no catalogue, skipped")
        return
    log(generate_history(incidents=DEMO_INCIDENTS, years=DEMO_YEARS, seed=DEMO_SEED).summary())
