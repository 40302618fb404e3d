"""Next week's incidents per micro-grid: a pooled Poisson regression (statsmodels) on each
grid's recent and seasonal history, kept only where a backtest shows it beats the
seasonal-naive forecast.

One model per category is fitted over all 921 grids at once (a grid sees a handful of incidents
a year, too few to fit alone). The seasonal-naive baseline says "the same as this week last
year" (or last week, with less than a year of history). The backtest is a rolling origin: each
of the last `backtest_weeks` complete weeks is forecast from the weeks before it, and both
forecasts are scored against what happened.

The deciding error is RMSE, the loss a mean forecast minimises. MAE is reported too, but for
counts this sparse it rewards forecasting zero everywhere, which no centre wants.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm

SEASON = 52
TRAIN_WEEKS = 26  # targets per origin used to fit the model
MIN_HISTORY = 8


def features(matrix: np.ndarray, week: int) -> np.ndarray:
    """Predictors of column `week` from the columns before it (rows = grids)."""
    past = matrix[:, :week]
    recent4 = past[:, -4:].mean(axis=1)
    recent13 = past[:, -13:].mean(axis=1)
    seasonal = past[:, week - SEASON] if week >= SEASON else recent13
    level = past.mean(axis=1)
    columns = [past[:, -1], recent4, recent13, seasonal, level]
    return np.column_stack([np.ones(len(past))] + [np.log1p(column) for column in columns])


def seasonal_naive(matrix: np.ndarray, week: int) -> np.ndarray:
    return matrix[:, week - SEASON] if week >= SEASON else matrix[:, week - 1]


def _fit(matrix: np.ndarray, target: int):
    """The Poisson model fitted on the TRAIN_WEEKS targets before `target` (or None if the
    history is too short or holds nothing)."""
    first = max(MIN_HISTORY, target - TRAIN_WEEKS)
    if target - first < 2:
        return None
    x = np.vstack([features(matrix, week) for week in range(first, target)])
    y = np.concatenate([matrix[:, week] for week in range(first, target)])
    if not y.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect-separation and convergence notes on sparse data
        return sm.GLM(y, x, family=sm.families.Poisson()).fit()


def model_forecast(matrix: np.ndarray, target: int) -> np.ndarray | None:
    """Expected counts for column `target` (which may be one past the last column)."""
    fitted = _fit(matrix, target)
    if fitted is None:
        return None
    return np.asarray(fitted.predict(features(matrix, target)))


@dataclass(frozen=True)
class Backtest:
    origins: int
    observations: int
    model_rmse: float
    naive_rmse: float
    model_mae: float
    naive_mae: float

    @property
    def model_wins(self) -> bool:
        return self.model_rmse < self.naive_rmse

    def as_dict(self) -> dict:
        return {"origins": self.origins, "observations": self.observations,
                "model_rmse": round(self.model_rmse, 4), "naive_rmse": round(self.naive_rmse, 4),
                "model_mae": round(self.model_mae, 4), "naive_mae": round(self.naive_mae, 4),
                "model_kept": self.model_wins}


def backtest(matrix: np.ndarray, origins: int) -> Backtest | None:
    """Score the model and the seasonal-naive forecast on the last `origins` columns."""
    weeks = matrix.shape[1]
    model_errors, naive_errors = [], []
    for target in range(max(MIN_HISTORY + 2, weeks - origins), weeks):
        predicted = model_forecast(matrix, target)
        if predicted is None:
            continue
        model_errors.append(predicted - matrix[:, target])
        naive_errors.append(seasonal_naive(matrix, target) - matrix[:, target])
    if not model_errors:
        return None
    model, naive = np.concatenate(model_errors), np.concatenate(naive_errors)
    return Backtest(len(model_errors), len(model), float(np.sqrt(np.mean(model ** 2))),
                    float(np.sqrt(np.mean(naive ** 2))), float(np.mean(np.abs(model))), float(np.mean(np.abs(naive))))


@dataclass(frozen=True)
class Forecast:
    expected: np.ndarray  # one per grid, for the week after the matrix
    usual: np.ndarray  # each grid's mean weekly count over the matrix
    method: str  # "poisson" or "seasonal_naive"
    backtest: Backtest | None


def forecast_next_week(matrix: np.ndarray, origins: int) -> Forecast:
    """The forecast for the week after `matrix`, by the model where its backtest beat the
    baseline, else by the seasonal-naive rule."""
    weeks = matrix.shape[1]
    usual = matrix.mean(axis=1) if weeks else np.zeros(len(matrix))
    if weeks < MIN_HISTORY + 3:
        naive = seasonal_naive(matrix, weeks) if weeks else np.zeros(len(matrix))
        return Forecast(naive.astype(float), usual, "seasonal_naive", None)
    scored = backtest(matrix, origins)
    if scored is not None and scored.model_wins:
        predicted = model_forecast(matrix, weeks)
        if predicted is not None:
            return Forecast(predicted, usual, "poisson", scored)
    return Forecast(seasonal_naive(matrix, weeks).astype(float), usual, "seasonal_naive", scored)
