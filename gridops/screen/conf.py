"""Settings of the command centre's screen, read once here (tests override them).

GRIDOPS_DEMO
    The demo district: each figure is shown beside the seed's value (gridops/core/demo.py).
GRIDOPS_SCREEN_PERIOD_DAYS
    Days of the period figures (办结率, on-time rate, categories, ranking, approvals) when the
    page does not ask for another period; a year, like the seed's published figures.
"""
from django.conf import settings

from gridops.core import demo


def seed_figures() -> dict | None:
    if not getattr(settings, "GRIDOPS_DEMO", False):
        return None
    return {"closure_rate": demo.SEED_CLOSURE_RATE, "satisfaction_rate": demo.SEED_SATISFACTION_RATE,
            "handling_minutes": list(demo.SEED_HANDLING_MINUTES)}


def period_days() -> int:
    return int(getattr(settings, "GRIDOPS_SCREEN_PERIOD_DAYS", 365))
