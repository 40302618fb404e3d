"""A plausible incident history for demos, KPIs and benchmarks, written with PostgreSQL COPY.

Why COPY and numpy: a district of 1.2 million people produces ~180,000 cases a year, and three
years (540,000 incidents, ~3.7 million transition rows) must load in minutes. The ORM would need
hours; here every random draw is a vectorised numpy operation and rows stream into COPY in
batches, inside one transaction with the incident table locked against concurrent writers.

What makes it plausible (all tunable below, all deterministic for a seed):
- seasonality: more cases in the typhoon and rain season (Jun–Sep), fewer around Spring Festival,
  a weekday pattern (weekends are quieter), office-hours peaks, a slight growth year on year;
- typhoon-season types (水浸, 台风, 倒伏, 蚊媒...) weigh four times more from June to September;
- hot spots: a grid's share grows faster than its residents (residents^1.4) times a per-grid
  activity factor (markets, commercial streets), so a few dense grids dominate, as in real data;
- the category mix of a Chinese city (市容环境 and 街面秩序 lead) and, within a category, a few
  types that account for most cases;
- durations by priority: lognormal delays to register, dispatch, accept and resolve scaled by the
  type's deadlines (so ~10% breach one), grid workers' reports mostly auto-dispatched, 3% returned
  by the department once, 1% voided, 0.5% stuck for months (illegal-building cases);
- the seed's 办结率 (98.56 %, `core.demo.SEED_CLOSURE_RATE`): what is not resolved is recent or
  stuck, and the stuck share is calibrated per batch so that resolved-or-later over all incidents
  not voided lands on the requested closure rate (the KPI's definition), within sampling error.
"""
from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone

from geodata.models import Level
from gridops.core.demo import SEED_CLOSURE_RATE

from .models import EventType, Incident, IncidentTransition, Priority, Source, Status

# Jan..Dec: Spring Festival dip in February, typhoon and rain season June to September.
MONTH_FACTOR = np.array([0.80, 0.62, 0.90, 1.00, 1.10, 1.32, 1.42, 1.45, 1.30, 1.02, 0.95, 0.86])
WEEKDAY_FACTOR = np.array([1.12, 1.10, 1.08, 1.08, 1.04, 0.82, 0.76])  # Mon..Sun
HOUR_WEIGHT = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.4, 3.2, 3.4, 2.8,
                        1.6, 1.6, 2.8, 3.2, 3.0, 2.4, 1.6, 1.2, 1.0, 0.8, 0.5, 0.3])
TYPHOON_MONTHS = (6, 7, 8, 9)
SEASONAL_WORDS = ("台风", "水浸", "积水", "内涝", "暴雨", "倒伏", "断枝", "蚊媒", "登革热", "河涌水位")
SEASONAL_BOOST = 4.0
# Share of cases per category code (the demo catalogue); unknown codes weigh DEFAULT_CATEGORY_WEIGHT.
CATEGORY_WEIGHT = {"01": 8, "02": 6, "03": 7, "04": 4, "05": 2, "06": 2, "11": 20, "12": 6, "13": 6, "14": 1.5,
                   "15": 18, "16": 6, "21": 4, "22": 3, "23": 3, "24": 2, "25": 1}
DEFAULT_CATEGORY_WEIGHT = 3.0
SOURCES = [(Source.GRID_WORKER, 0.68), (Source.HOTLINE, 0.20), (Source.CITIZEN, 0.08), (Source.SENSOR, 0.04)]
AUTO_DISPATCH_SHARE = 0.85  # of grid workers' ordinary reports
RETURNED_SHARE, VOID_SHARE, STUCK_SHARE = 0.03, 0.010, 0.005
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


# --- reference data ----------------------------------------------------------------------------

GRIDS_SQL = f"""
SELECT g.id, g.residents, ST_AsBinary(g.geom), v.id, a.id, t.id, c.id, t.name || v.name
FROM geodata_zone g
JOIN geodata_zone v ON v.id = g.parent_id
JOIN geodata_zone a ON a.id = v.parent_id
JOIN geodata_zone t ON t.id = a.parent_id
LEFT JOIN geodata_commandcentre c ON c.zone_id = t.id
WHERE g.level = {int(Level.GRID)}
ORDER BY g.code
"""


@dataclass
class Grids:
    ids: np.ndarray
    village: np.ndarray
    area: np.ndarray
    town: np.ndarray
    centre: list
    address: list
    geoms: np.ndarray
    weight: np.ndarray


def _grids(rng: np.random.Generator) -> Grids:
    with connection.cursor() as cur:
        cur.execute(GRIDS_SQL)
        rows = cur.fetchall()
    if not rows:
        raise ValueError("no micro-grids: load the zones first (manage.py load_demo)")
    residents = np.array([max(r[1], 1) for r in rows], dtype=float)
    activity = rng.lognormal(0.0, 0.6, len(rows))  # markets, commercial streets, old villages
    weight = residents ** 1.4 * activity
    return Grids(
        ids=np.array([r[0] for r in rows]), village=np.array([r[3] for r in rows]),
        area=np.array([r[4] for r in rows]), town=np.array([r[5] for r in rows]),
        centre=[r[6] for r in rows], address=[r[7] for r in rows],
        geoms=shapely.from_wkb([bytes(r[2]) for r in rows]), weight=weight / weight.sum(),
    )


@dataclass
class Types:
    ids: np.ndarray
    category: np.ndarray
    department: list
    priority: list
    emergency: np.ndarray
    response_h: np.ndarray
    resolution_h: np.ndarray
    name: list
    reason: list
    p_normal: np.ndarray
    p_season: np.ndarray


def _types(rng: np.random.Generator) -> Types:
    rows = list(EventType.objects.filter(active=True).order_by("code").values_list(
        "id", "category_id", "category__code", "department_id", "department__short_name", "priority", "emergency",
        "response_hours", "resolution_hours", "name"))
    if not rows:
        raise ValueError("no event types: load the catalogue first (manage.py import_catalogue --commit)")
    categories = np.array([r[2] for r in rows])
    weight = np.zeros(len(rows))
    for code in np.unique(categories):
        members = np.flatnonzero(categories == code)
        # Within a category a few types dominate (Zipf over a seeded order).
        ranks = rng.permutation(len(members)) + 1
        share = 1.0 / ranks ** 0.9
        weight[members] = CATEGORY_WEIGHT.get(code, DEFAULT_CATEGORY_WEIGHT) * share / share.sum()
    emergency = np.array([r[6] for r in rows])
    weight[emergency] *= 0.3  # emergencies are rare
    seasonal = np.array([any(word in r[9] for word in SEASONAL_WORDS) for r in rows])
    season_weight = weight * np.where(seasonal, SEASONAL_BOOST, 1.0)
    return Types(
        ids=np.array([r[0] for r in rows]), category=np.array([r[1] for r in rows]),
        department=[r[3] for r in rows], priority=[r[5] for r in rows], emergency=emergency,
        response_h=np.array([r[7] for r in rows], dtype=float), resolution_h=np.array([r[8] for r in rows], dtype=float),
        name=[r[9] for r in rows], reason=[f"历史数据：按事件类型默认派遣至{r[4]}" for r in rows],
        p_normal=weight / weight.sum(), p_season=season_weight / season_weight.sum(),
    )


# --- drawing -----------------------------------------------------------------------------------

def _report_times(rng, n: int, years: float, now: datetime) -> np.ndarray:
    """Epoch seconds of n reports over the last `years`, shaped by month, weekday, hour, growth."""
    days = max(int(round(years * 365)), 1)
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days)
    day_dates = np.arange(np.datetime64(start.date()), np.datetime64(today.date()))
    months = day_dates.astype("datetime64[M]").astype(int) % 12
    weekdays = (day_dates.astype("datetime64[D]").astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    growth = 1.0 + 0.08 * np.arange(days) / 365.0
    p_day = MONTH_FACTOR[months] * WEEKDAY_FACTOR[weekdays] * growth
    day = rng.choice(days, size=n, p=p_day / p_day.sum())
    hour = rng.choice(24, size=n, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
    seconds = rng.integers(0, 3600, size=n)
    return start.timestamp() + day * 86400.0 + hour * 3600.0 + seconds


def _points(rng, grids: Grids, grid_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A uniform random point inside each incident's micro-grid (rejection sampling per grid)."""
    x = np.empty(len(grid_index))
    y = np.empty(len(grid_index))
    order = np.argsort(grid_index, kind="stable")
    bounds = np.searchsorted(grid_index[order], np.arange(len(grids.ids) + 1))
    for g in range(len(grids.ids)):
        members = order[bounds[g]:bounds[g + 1]]
        if not len(members):
            continue
        geom = grids.geoms[g]
        x0, y0, x1, y1 = geom.bounds
        got_x, got_y, need = [], [], len(members)
        while need > 0:
            cx = rng.uniform(x0, x1, need * 2 + 8)
            cy = rng.uniform(y0, y1, need * 2 + 8)
            inside = shapely.contains_xy(geom, cx, cy)
            got_x.append(cx[inside][:need])
            got_y.append(cy[inside][:need])
            need -= int(min(inside.sum(), need))
        x[members] = np.concatenate(got_x)
        y[members] = np.concatenate(got_y)
    return x, y


def _lognormal_hours(rng, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, n)


@dataclass
class Batch:
    """One batch of drawn incidents as columns (times in epoch seconds, NaN = not reached)."""

    ids: np.ndarray
    grid: np.ndarray
    type: np.ndarray
    source: np.ndarray
    x: np.ndarray
    y: np.ndarray
    accuracy: np.ndarray
    reported: np.ndarray
    registered: np.ndarray
    dispatched: np.ndarray
    returned: np.ndarray
    redispatched: np.ndarray
    accepted: np.ndarray
    resolved: np.ndarray
    verified: np.ndarray
    closed: np.ndarray
    voided: np.ndarray
    auto: np.ndarray
    response_deadline: np.ndarray
    resolution_deadline: np.ndarray
    escalation_level: np.ndarray
    escalated: np.ndarray
    status: np.ndarray


def _calibrated_stuck(rng, resolved: np.ndarray, is_void: np.ndarray, voided: np.ndarray, now_ts: float,
                      closure_rate: float | None) -> np.ndarray:
    """Which incidents to hold unresolved past now so that the batch's 办结率 is `closure_rate`.

    Recent incidents are open anyway; only the shortfall is drawn, evenly among the incidents
    that would otherwise be resolved by now (none when the natural rate is already lower).
    """
    n = len(resolved)
    if closure_rate is None:
        return np.zeros(n, dtype=bool)
    counted = ~(is_void & (voided <= now_ts))  # the KPI leaves out what is void by now
    done = counted & ~is_void & (resolved <= now_ts)  # a void still to come stays "reported" until then
    wanted_open = (1.0 - closure_rate) * counted.sum()
    shortfall = wanted_open - (counted.sum() - done.sum())
    if shortfall <= 0 or not done.any():
        return np.zeros(n, dtype=bool)
    return done & (rng.random(n) < shortfall / done.sum())


def _draw_batch(rng, ids: np.ndarray, reported: np.ndarray, grids: Grids, types: Types, now_ts: float,
                closure_rate: float | None = SEED_CLOSURE_RATE) -> Batch:
    n = len(ids)
    grid = rng.choice(len(grids.ids), size=n, p=grids.weight)
    months = (reported.astype("datetime64[s]").astype("datetime64[M]").astype(int) % 12) + 1
    in_season = np.isin(months, TYPHOON_MONTHS)
    etype = np.where(in_season, rng.choice(len(types.ids), size=n, p=types.p_season),
                     rng.choice(len(types.ids), size=n, p=types.p_normal))
    source_values = np.array([s for s, _ in SOURCES])
    source = rng.choice(len(SOURCES), size=n, p=[p for _, p in SOURCES])
    x, y = _points(rng, grids, grid)
    accuracy = np.where(source_values[source] == Source.GRID_WORKER, rng.lognormal(np.log(8), 0.6, n),
                        np.where(source_values[source] == Source.CITIZEN, rng.lognormal(np.log(25), 0.8, n), np.nan))

    priority = np.array(types.priority)[etype]
    urgent = priority == Priority.URGENT
    response_h, resolution_h = types.response_h[etype], types.resolution_h[etype]
    emergency = types.emergency[etype]
    auto = (source_values[source] == Source.GRID_WORKER) & ~emergency & (rng.random(n) < AUTO_DISPATCH_SHARE)

    hour = 3600.0
    register_delay = np.where(auto, 2.0, _lognormal_hours(rng, np.where(urgent, 0.05, 0.25), 0.9, n) * hour)
    dispatch_delay = np.where(auto, 0.0, _lognormal_hours(rng, np.where(urgent, 0.05, 0.3), 0.8, n) * hour)
    registered = reported + register_delay
    dispatched = registered + dispatch_delay
    is_returned = rng.random(n) < RETURNED_SHARE
    returned = np.where(is_returned, dispatched + _lognormal_hours(rng, 2.0, 0.7, n) * hour, np.nan)
    redispatched = np.where(is_returned, returned + _lognormal_hours(rng, 1.0, 0.7, n) * hour, np.nan)
    accept_from = np.where(is_returned, redispatched, dispatched)
    accepted = accept_from + _lognormal_hours(rng, response_h * 0.35, 0.8, n) * hour
    resolve_h = _lognormal_hours(rng, resolution_h * 0.3, 0.9, n)
    stuck = rng.random(n) < STUCK_SHARE
    resolve_h = np.where(stuck, resolve_h + rng.uniform(30, 400, n) * 24, resolve_h)
    resolved = accepted + resolve_h * hour
    is_void = rng.random(n) < VOID_SHARE
    voided = np.where(is_void, reported + _lognormal_hours(rng, 1.0, 0.8, n) * hour, np.nan)
    held = _calibrated_stuck(rng, resolved, is_void, voided, now_ts, closure_rate)
    resolved = np.where(held, now_ts + rng.uniform(1, 120, n) * 86400, resolved)  # still being worked on
    verified = resolved + _lognormal_hours(rng, 3.0, 1.0, n) * hour
    closed = verified + _lognormal_hours(rng, 1.5, 0.8, n) * hour

    # Deadlines as rules.deadlines computes them: hours after the report.
    response_deadline = reported + response_h * hour
    resolution_deadline = reported + resolution_h * hour
    late_response = accepted > response_deadline
    late_resolution = resolved > resolution_deadline
    escalation_level = np.where(late_resolution, 2, np.where(late_response, 1, 0))
    escalated = np.where(late_resolution, resolution_deadline, np.where(late_response, response_deadline, np.nan)) + 300

    # Nothing happens after now (or after a void); the status is the last stage reached.
    stages = [(registered, Status.REGISTERED), (dispatched, Status.DISPATCHED), (returned, Status.RETURNED),
              (redispatched, Status.DISPATCHED), (accepted, Status.IN_PROGRESS), (resolved, Status.RESOLVED),
              (verified, Status.VERIFIED), (closed, Status.CLOSED)]
    status = np.full(n, Status.REPORTED, dtype=object)
    for times, name in stages:
        times[is_void | ~(times <= now_ts)] = np.nan
        status[~np.isnan(times)] = name
    voided[~(voided <= now_ts)] = np.nan
    status[~np.isnan(voided)] = Status.VOID
    escalation_level[~(escalated <= now_ts) | ~np.isnan(voided)] = 0
    escalated[escalation_level == 0] = np.nan
    return Batch(ids=ids, grid=grid, type=etype, source=source_values[source], x=x, y=y, accuracy=accuracy,
                 reported=reported, registered=registered, dispatched=dispatched, returned=returned,
                 redispatched=redispatched, accepted=accepted, resolved=resolved, verified=verified, closed=closed,
                 voided=voided, auto=auto, response_deadline=response_deadline,
                 resolution_deadline=resolution_deadline, escalation_level=escalation_level, escalated=escalated,
                 status=status)


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
    grids, types = _grids(rng), _types(rng)
    report = HistoryReport()
    incident_table, transition_table = Incident._meta.db_table, IncidentTransition._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(f"LOCK TABLE {incident_table} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {incident_table}")
        first_id = cur.fetchone()[0] + 1
        reported = np.sort(_report_times(rng, incidents, years, now))
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
        b = _draw_batch(rng, ids, chunk, grids, types, now.timestamp(), closure_rate)
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
