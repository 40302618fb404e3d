"""Foresight results for the API and the warning sweep: selectors' counts through the
statistics of `spatial` and `forecast`, shaped as GeoJSON-ready rows.

Results are computed over the whole district (a Gi* needs every neighbour, and a forecast pools
every grid) and then cut to the grids the caller may see. A forecast takes a few seconds, so it is
kept in the cache for an hour, keyed by category, week and the newest incident (a new
report, or a test's new history, is a new key).
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from django.core.cache import cache

from . import conf, forecast, spatial
from .selectors import GridFrame, current_week, grid_frame, latest_incident_id, weekly_counts

FORECAST_HISTORY_WEEKS = 104
CACHE_SECONDS = 3600


def hot_spots(*, category_id: int | None, weeks: int, until: date | None = None,
              grids: GridFrame | None = None) -> dict:
    """Gi* of the incidents per grid summed over the `weeks` complete weeks before `until`'s week."""
    grids = grids or grid_frame()
    end = current_week(until)
    counts = weekly_counts(grids, end_week=end, weeks=weeks, category_id=category_id).sum(axis=1)
    result = spatial.gi_star(counts, spatial.contiguity(grids))
    return {"grids": grids, "counts": counts, "z": result.z, "p": result.p, "bins": result.bins,
            "since": end - timedelta(weeks=weeks), "until": end}


def emerging_hot_spots(*, category_id: int | None, weeks: int, until: date | None = None,
                       grids: GridFrame | None = None) -> dict:
    """Each grid's emerging pattern over `weeks` weekly Gi* analyses."""
    grids = grids or grid_frame()
    end = current_week(until)
    matrix = weekly_counts(grids, end_week=end, weeks=weeks, category_id=category_id)
    hot, cold, taus = spatial.emerging(matrix, spatial.contiguity(grids))
    return {"grids": grids, "hot": hot, "cold": cold, "tau": taus, "counts": matrix.sum(axis=1),
            "since": end - timedelta(weeks=weeks), "until": end}


def next_week(*, category_id: int | None, until: date | None = None, grids: GridFrame | None = None) -> dict:
    """The forecast for `until`'s week (this week by default) per grid, with its backtest."""
    grids = grids or grid_frame()
    week = current_week(until)
    key = f"foresight:forecast:{category_id or 'all'}:{week.isoformat()}:{len(grids)}:{latest_incident_id()}"
    found = cache.get(key)
    if found is None:
        matrix = weekly_counts(grids, end_week=week, weeks=FORECAST_HISTORY_WEEKS, category_id=category_id)
        made = forecast.forecast_next_week(_from_first_report(matrix), conf.backtest_weeks())
        found = {"expected": made.expected.tolist(), "usual": made.usual.tolist(), "method": made.method,
                 "backtest": made.backtest.as_dict() if made.backtest else None}
        cache.set(key, found, CACHE_SECONDS)
    return {"grids": grids, "week": week, "expected": np.asarray(found["expected"]),
            "usual": np.asarray(found["usual"]), "method": found["method"], "backtest": found["backtest"]}


def _from_first_report(matrix: np.ndarray) -> np.ndarray:
    """Drop the leading weeks before the district's first report (a young system's history
    would otherwise teach the model a year of zeros)."""
    active = np.flatnonzero(matrix.any(axis=0))
    return matrix[:, active[0]:] if len(active) else matrix[:, -1:]
