"""Writes of foresight: the weekly warning sweep and a centre's acknowledgement.

A warning is raised once per grid, category and week (the sweep may run again, on any node,
and finds it there), and pushed after commit to the centres that own the grid — the same
audiences as an incident in that grid, from `gridops.incidents.jurisdiction`.
"""
from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from gridops.core.authz import require_may_act
from gridops.core.errors import InvalidInput
from gridops.incidents.jurisdiction import zone_audiences
from gridops.realtime.services import publish_event

from . import analysis, conf
from .models import EarlyWarning, Trend

WARNING_TRENDS = (Trend.NEW, Trend.CONSECUTIVE, Trend.INTENSIFYING)


def raise_warnings(*, until: date | None = None, category_id: int | None = None) -> list[EarlyWarning]:
    """Warn of every grid whose forecast for `until`'s week reaches `warning_ratio` × its usual
    week (and at least `warning_minimum`), naming an emerging hot-spot trend where there is one."""
    made = analysis.next_week(category_id=category_id, until=until)
    trend = analysis.emerging_hot_spots(category_id=category_id, weeks=conf.window_weeks(), until=until,
                                        grids=made["grids"])
    threshold = (made["usual"] * conf.warning_ratio()).clip(min=conf.warning_minimum())
    frame = made["grids"].frame
    raised = []
    for row in (made["expected"] >= threshold).nonzero()[0]:
        pattern = trend["hot"][row]
        reason = (f"预计本周 {made['expected'][row]:.1f} 起，常态 {made['usual'][row]:.1f} 起/周"
                  + (f"；{Trend(pattern).label}" if pattern in WARNING_TRENDS else ""))
        warning = _raise_one(frame.iloc[row], week=made["week"], category_id=category_id,
                             forecast=float(made["expected"][row]), usual=float(made["usual"][row]),
                             trend=pattern if pattern in WARNING_TRENDS else "", reason=reason)
        if warning is not None:
            raised.append(warning)
    return raised


def warning_tick() -> None:
    """Worker tick (hourly): this week's warnings over all categories; a rerun raises nothing twice."""
    raise_warnings()


def _raise_one(grid, *, week, category_id, **fields) -> EarlyWarning | None:
    """Create and push one warning; None when this grid, category and week already has one."""
    try:
        with transaction.atomic():
            warning = EarlyWarning.objects.create(
                grid_id=int(grid["id"]), village_id=_id(grid["village_id"]), area_id=_id(grid["area_id"]),
                town_id=_id(grid["town_id"]), category_id=category_id, week=week, **fields)
            publish_event(kind="foresight.warning", payload=warning_payload(warning), audiences=zone_audiences(warning))
    except IntegrityError:
        return None
    return warning


def _id(value) -> int | None:
    return None if value is None or value != value else int(value)  # NaN from pandas for a missing parent


def warning_payload(warning: EarlyWarning) -> dict:
    return {"id": warning.pk, "grid": warning.grid_id, "category": warning.category_id, "week": warning.week,
            "forecast": round(warning.forecast, 2), "usual": round(warning.usual, 2), "trend": warning.trend,
            "reason": warning.reason, "acknowledged_at": warning.acknowledged_at}


def acknowledge(user, warning: EarlyWarning, *, note: str = "") -> EarlyWarning:
    """A centre has seen the warning. Idempotent: a second acknowledgement keeps the first."""
    if not isinstance(note, str) or len(note) > 255:
        raise InvalidInput("note must be text of at most 255 characters", field="note")
    require_may_act(user, warning)
    with transaction.atomic():
        locked = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
        if locked.acknowledged_at is None:
            locked.acknowledged_at, locked.acknowledged_by, locked.note = timezone.now(), user, note
            locked.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
            publish_event(kind="foresight.acknowledged", payload=warning_payload(locked),
                          audiences=zone_audiences(locked))
    return locked
