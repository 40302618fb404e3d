"""What a plausible incident history looks like, and drawing one batch of it with numpy.

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
  not voided lands on the requested closure rate (the KPI's definition), within sampling error;
- deadlines and escalation levels by the SLA clocks (`sla.py`): the type's hours (else its
  priority's), and the level the escalation sweep would have left, sweep by sweep.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely
from django.db import connection
from django.utils import timezone

from geodata.models import Level
from gridops.core.demo import SEED_CLOSURE_RATE
from gridops.core.workers import WORKERS

from . import sla
from .models import EventType, Priority, Source, Status

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
# Escalations happen at most one sweep interval after a deadline (the worker runs the sweep on it).
SWEEP_DELAY_S = WORKERS["gridops.incidents.services.escalation.escalation_tick"]


# --- reference data ----------------------------------------------------------------------------

GRIDS_SQL = f"""
SELECT g.id, g.residents, ST_AsBinary(g.geom), v.id, a.id, t.id, c.id, t.name || v.name
FROM geodata_zone g
JOIN geodata_zone v ON v.id = g.parent_id
JOIN geodata_zone a ON a.id = v.parent_id
JOIN geodata_zone t ON t.id = a.parent_id
LEFT JOIN geodata_commandcentre c ON c.zone_id = t.id
WHERE g.level = {int(Level.GRID)} AND g.generation_high_id IS NULL
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


def load_grids(rng: np.random.Generator) -> Grids:
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


def load_types(rng: np.random.Generator) -> Types:
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
    # The hours intake would use (the type's, else its priority's default): `sla.hours_arrays`.
    hours = sla.hours_arrays([r[5] for r in rows], {"response_hours": np.array([r[7] for r in rows], dtype=float),
                                                    "resolution_hours": np.array([r[8] for r in rows], dtype=float)})
    return Types(
        ids=np.array([r[0] for r in rows]), category=np.array([r[1] for r in rows]),
        department=[r[3] for r in rows], priority=[r[5] for r in rows], emergency=emergency,
        response_h=hours["response_hours"], resolution_h=hours["resolution_hours"],
        name=[r[9] for r in rows], reason=[f"历史数据：按事件类型默认派遣至{r[4]}" for r in rows],
        p_normal=weight / weight.sum(), p_season=season_weight / season_weight.sum(),
    )


# --- drawing -----------------------------------------------------------------------------------

def report_times(rng, n: int, years: float, now: datetime) -> np.ndarray:
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


def draw_batch(rng, ids: np.ndarray, reported: np.ndarray, grids: Grids, types: Types, now_ts: float,
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

    urgent = np.array(types.priority)[etype] == Priority.URGENT
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

    # Nothing happens after now (or after a void); the status is the last stage reached.
    stages = [(registered, Status.REGISTERED), (dispatched, Status.DISPATCHED), (returned, Status.RETURNED),
              (redispatched, Status.DISPATCHED), (accepted, Status.IN_PROGRESS), (resolved, Status.RESOLVED),
              (verified, Status.VERIFIED), (closed, Status.CLOSED)]
    for times, _ in stages:
        times[is_void | ~(times <= now_ts)] = np.nan
    voided[~(voided <= now_ts)] = np.nan
    stages.append((voided, Status.VOID))
    status = sla.status_at(stages, Status.REPORTED, np.full(n, now_ts))

    # Deadlines and escalation by the SLA clocks (`sla.py`), as intake and the sweep set them.
    deadline_values = sla.deadline_arrays(reported, {"response_hours": response_h, "resolution_hours": resolution_h})
    escalation_level, escalated = sla.history_escalation(stages, Status.REPORTED, deadline_values, now_ts,
                                                         delay=SWEEP_DELAY_S)
    return Batch(ids=ids, grid=grid, type=etype, source=source_values[source], x=x, y=y, accuracy=accuracy,
                 reported=reported, registered=registered, dispatched=dispatched, returned=returned,
                 redispatched=redispatched, accepted=accepted, resolved=resolved, verified=verified, closed=closed,
                 voided=voided, auto=auto, response_deadline=deadline_values["response_deadline"],
                 resolution_deadline=deadline_values["resolution_deadline"], escalation_level=escalation_level,
                 escalated=escalated,
                 status=status)
