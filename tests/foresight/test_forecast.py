"""The forecast keeps its model only where the backtest beats the seasonal-naive baseline."""
import numpy as np

from gridops.foresight import forecast


def test_the_model_is_kept_where_it_beats_seasonal_naive():
    rng = np.random.default_rng(7)
    rates = rng.gamma(2.0, 1.0, size=(300, 1))  # grids differ, each steady: the level predicts, last week is noise
    matrix = rng.poisson(rates, size=(300, 40)).astype(float)
    made = forecast.forecast_next_week(matrix, origins=8)
    assert made.backtest.model_rmse < made.backtest.naive_rmse
    assert made.method == "poisson" and made.backtest.observations == 300 * 8
    assert np.corrcoef(made.expected, rates[:, 0])[0, 1] > 0.9


def test_seasonal_naive_is_kept_where_the_model_cannot_beat_it():
    rng = np.random.default_rng(3)
    one_year = rng.poisson(3.0, size=(200, 52)).astype(float)
    matrix = np.hstack([one_year, one_year[:, :20]])  # this year repeats last year exactly
    made = forecast.forecast_next_week(matrix, origins=8)
    assert made.backtest.naive_rmse == 0.0 and not made.backtest.model_wins
    assert made.method == "seasonal_naive"
    assert np.array_equal(made.expected, one_year[:, 20])


def test_too_little_history_falls_back_to_last_week():
    matrix = np.array([[1.0, 2.0, 5.0], [0.0, 0.0, 1.0]])
    made = forecast.forecast_next_week(matrix, origins=8)
    assert made.method == "seasonal_naive" and made.backtest is None
    assert made.expected.tolist() == [5.0, 1.0]
