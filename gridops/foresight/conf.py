"""Foresight settings, read from Django settings (which read the environment)."""
from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def window_weeks() -> int:
    """Weeks of history a hot-spot analysis sums by default."""
    return int(_get("GRIDOPS_FORESIGHT_WINDOW_WEEKS", 12))


def backtest_weeks() -> int:
    """Rolling-origin backtest length: the last N complete weeks are each forecast from the weeks before."""
    return int(_get("GRIDOPS_FORESIGHT_BACKTEST_WEEKS", 8))


def warning_ratio() -> float:
    """A grid is warned when its forecast reaches this multiple of its own weekly mean…"""
    return float(_get("GRIDOPS_FORESIGHT_WARNING_RATIO", 2.0))


def warning_minimum() -> float:
    """…and at least this many incidents (a grid going from 0.1 to 0.3 a week is not news)."""
    return float(_get("GRIDOPS_FORESIGHT_WARNING_MINIMUM", 3.0))
