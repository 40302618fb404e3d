"""Business rules of community corrections, as plain functions (no database, no request).

A check-in is judged on three things: is the position inside the geofence (any allowed zone),
is it curfew time, and during curfew is the person at home. Every check-in is logged whatever
the verdict; the verdict only decides whether the officer's view flags it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

OUTSIDE_GEOFENCE = "outside_geofence"
CURFEW_AWAY_FROM_HOME = "curfew_away_from_home"
OUTSIDE_TERM = "outside_supervision_term"
POOR_ACCURACY = "poor_accuracy"

# A fix worse than this cannot support "inside the geofence" either way.
MAX_TRUSTED_ACCURACY_M = 500.0


def in_curfew(local: time, start: time | None, end: time | None) -> bool:
    """Whether a local wall-clock time falls in the curfew window (which may wrap midnight)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


@dataclass(frozen=True)
class Verdict:
    inside_geofence: bool
    curfew: bool
    curfew_breach: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def judge_checkin(
    *,
    inside_geofence: bool,
    local_time: time,
    local_date: date,
    curfew_start: time | None,
    curfew_end: time | None,
    home_distance_m: float | None,
    home_radius_m: float,
    accuracy_m: float | None = None,
    term_start: date | None = None,
    term_end: date | None = None,
) -> Verdict:
    """The verdict on one check-in; `home_distance_m` is None when no home is on file."""
    reasons: list[str] = []
    if not inside_geofence:
        reasons.append(OUTSIDE_GEOFENCE)
    curfew = in_curfew(local_time, curfew_start, curfew_end)
    breach = curfew and home_distance_m is not None and home_distance_m > home_radius_m
    if breach:
        reasons.append(CURFEW_AWAY_FROM_HOME)
    if (term_start and local_date < term_start) or (term_end and local_date > term_end):
        reasons.append(OUTSIDE_TERM)
    if accuracy_m is not None and accuracy_m > MAX_TRUSTED_ACCURACY_M:
        reasons.append(POOR_ACCURACY)
    return Verdict(inside_geofence=inside_geofence, curfew=curfew, curfew_breach=breach, reasons=reasons)
