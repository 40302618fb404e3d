"""Hot spots (Getis-Ord Gi*) on the micro-grid adjacency, and emerging hot spots across weeks.

The statistics are PySAL's own (`esda.G_Local` with `star=True` on binary weights); this module
only builds the weights, bins the z-scores as ArcGIS's Hot Spot Analysis does (±1/±2/±3 for
90/95/99 % confidence, two-sided) and classifies each grid's run of weekly bins with the
patterns of ArcGIS's Emerging Hot Spot Analysis, using a Mann-Kendall test (Kendall's tau of
the z-scores against time) for the trend.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from esda.getisord import G_Local
from libpysal.weights import KNN, Queen, attach_islands
from scipy import stats

from .models import Trend
from .selectors import GridFrame

CONFIDENCE = ((0.01, 3), (0.05, 2), (0.10, 1))  # two-sided p → bin (ArcGIS Gi_Bin)
MOST = 0.9  # "at least 90 % of the time-step intervals"
TREND_P = 0.05


def contiguity(grids: GridFrame):
    """Queen contiguity of the micro-grids (they share edges and corners along streets); a grid
    that touches none (an island, or a gap in the boundaries) gets its nearest grid instead, so
    every Gi* has a neighbourhood."""
    key = hash(grids.frame.geometry.to_wkb().sum() + bytes(grids.ids.tobytes()))
    if key not in _WEIGHTS:
        _WEIGHTS.clear()  # one grid at a time: a redrawn grid replaces the old weights
        _WEIGHTS[key] = _contiguity(grids)
    return _WEIGHTS[key]


_WEIGHTS: dict[int, object] = {}


def _contiguity(grids: GridFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands, which are handled below
        weights = Queen.from_dataframe(grids.frame, use_index=False, silence_warnings=True)
        if weights.islands:
            metric = grids.frame.to_crs(4547)
            metric = metric.set_geometry(metric.geometry.representative_point())
            weights = attach_islands(weights, KNN.from_dataframe(metric, k=1, use_index=False))
    weights.transform = "B"
    return weights


@dataclass(frozen=True)
class HotSpots:
    z: np.ndarray
    p: np.ndarray  # two-sided, under normality
    bins: np.ndarray  # -3..3


def gi_star(values: np.ndarray, weights) -> HotSpots:
    """Gi* of `values` (one per grid, in the weights' order)."""
    values = np.asarray(values, dtype=float)
    if not values.any():  # nothing happened: no hot or cold spot, rather than 0/0
        zeros = np.zeros(len(values))
        return HotSpots(zeros, np.ones(len(values)), zeros.astype(int))
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        result = G_Local(values, weights, transform="B", star=True, permutations=0)
    z = np.nan_to_num(result.Zs)
    p = np.clip(2 * np.nan_to_num(result.p_norm, nan=0.5), 0, 1)
    return HotSpots(z, p, confidence_bins(z, p))


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    bins = np.zeros(len(z), dtype=int)
    for alpha, level in reversed(CONFIDENCE):
        bins[p <= alpha] = level
    return bins * np.sign(z).astype(int)


def emerging(matrix: np.ndarray, weights) -> tuple[list[str], list[str], np.ndarray]:
    """Each grid's pattern over the weeks of `matrix` (grids × weeks): (hot pattern, cold pattern,
    Mann-Kendall tau of its Gi* z-scores)."""
    steps = [gi_star(matrix[:, week], weights) for week in range(matrix.shape[1])]
    z = np.column_stack([step.z for step in steps])
    bins = np.column_stack([step.bins for step in steps])
    taus, trend_ps = _mann_kendall(z)
    hot = [classify(bins[row] >= 1, bins[row] <= -1, taus[row], trend_ps[row]) for row in range(len(z))]
    cold = [classify(bins[row] <= -1, bins[row] >= 1, -taus[row], trend_ps[row]) for row in range(len(z))]
    return hot, cold, taus


def _mann_kendall(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    weeks = np.arange(z.shape[1])
    taus, ps = np.zeros(len(z)), np.ones(len(z))
    for row in range(len(z)):
        if np.ptp(z[row]) > 0:
            result = stats.kendalltau(weeks, z[row])
            taus[row], ps[row] = result.statistic, result.pvalue
    return taus, ps


def classify(spot: np.ndarray, opposite: np.ndarray, tau: float, trend_p: float) -> str:
    """The Emerging Hot Spot pattern of one grid from its weekly significant-spot flags (oldest
    first); `opposite` marks the weeks it was significant the other way (for oscillating)."""
    share, last = spot.mean(), bool(spot[-1])
    rising, falling = trend_p < TREND_P and tau > 0, trend_p < TREND_P and tau < 0
    if share >= MOST:
        if not last:
            return Trend.HISTORICAL
        return Trend.INTENSIFYING if rising else Trend.DIMINISHING if falling else Trend.PERSISTENT
    if not last:
        return Trend.NONE
    run = len(spot) - _last_false(spot) - 1  # the uninterrupted run that ends the series
    before = spot[: len(spot) - run]
    if not before.any():
        return Trend.NEW if run == 1 else Trend.CONSECUTIVE
    return Trend.OSCILLATING if opposite[: len(spot) - 1].any() else Trend.SPORADIC


def _last_false(flags: np.ndarray) -> int:
    off = np.flatnonzero(~flags)
    return int(off[-1]) if len(off) else -1
