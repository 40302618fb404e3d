"""The SLA clocks of an incident, defined once (`CLOCKS`) and compiled three ways.

An incident runs two clocks from its report: the response clock (until a department accepts it)
and the resolution clock (until it is resolved). Each clock's deadline is the event type's hours
after the report, or its priority's default hours (`conf.priority_deadline_hours`) when the type
gives none. A clock is breached when the incident is past its deadline in a status the clock runs
in; each breach calls for an escalation level, and the escalation sweep raises an incident to the
highest level its breaches call for (never lowering it). A clock is met ("on time" in the KPIs)
when its work is stamped (accepted, resolved) at or before its deadline.

Why one table compiled three ways: the rule used to be written four times (Python in `rules`,
ORM filters in `selectors`, `is_overdue`, numpy in `history`), and no test showed they agreed.
Now every reader derives from `CLOCKS`:
- Python, for one incident in hand (`breached`, `breach_level`, `is_overdue`, `met`): API payloads,
  the sweep;
- ORM expressions, i.e. SQL, for many rows (`overdue_q`, `escalation_due_q`, `level_expression`,
  `met_q`): lists, tiles, KPIs, exports and the sweep's claim query;
- numpy over whole timelines (`history_escalation`): the history generator.
`tests/incidents/test_sla.py` checks the Python and SQL forms agree on random incidents and
clocks (on PostGIS), and that the numpy form agrees with sweeping by the Python one.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from . import conf
from .models import AWAITING_RESPONSE, OPEN_STATUSES


@dataclass(frozen=True)
class Clock:
    name: str                  # "response" | "resolution" (API: `breached_deadlines`)
    hours_field: str           # EventType column: the type's hours
    deadline_field: str        # Incident column: the deadline set at intake
    stop_field: str            # Incident column stamped when the work the clock times is done
    runs_in: frozenset[str]    # statuses in which being past the deadline is a breach
    level: int                 # the escalation level a breach calls for
    note: str                  # the history note the sweep writes when it escalates for it
    level_name: Promise        # what that level means, for people reading the incident


# In the order of `conf.priority_deadline_hours()`'s (response, resolution) pairs.
CLOCKS: tuple[Clock, ...] = (
    Clock("response", "response_hours", "response_deadline", "accepted_at", frozenset(AWAITING_RESPONSE), 1,
          "超时未响应，升级至区指挥中心",
          pgettext_lazy("escalation", "Level 1: response overdue, escalated to the district centre")),
    Clock("resolution", "resolution_hours", "resolution_deadline", "resolved_at", frozenset(OPEN_STATUSES), 2,
          "超期未办结，区指挥中心督办",
          pgettext_lazy("escalation", "Level 2: resolution overdue, supervised by the district centre")),
)

CLOCKS_BY_NAME: dict[str, Clock] = {clock.name: clock for clock in CLOCKS}

# Escalation level → the history note of that escalation, and its name for people.
ESCALATION_LABELS: dict[int, str] = {0: "", **{c.level: c.note for c in CLOCKS}}
ESCALATION_LEVEL_NAMES: dict[int, Promise] = {
    0: pgettext_lazy("escalation", "Not escalated"), **{c.level: c.level_name for c in CLOCKS}}


# --- Python: one incident ----------------------------------------------------------------------

def deadlines(*, reported_at: datetime, priority: str, response_hours: float | None,
              resolution_hours: float | None) -> tuple[datetime, datetime]:
    """(response, resolution) deadlines: the type's hours, else the priority's default hours."""
    given = {"response_hours": response_hours, "resolution_hours": resolution_hours}
    defaults = conf.priority_deadline_hours()[str(priority)]
    return tuple(reported_at + timedelta(hours=given[c.hours_field] or default)
                 for c, default in zip(CLOCKS, defaults, strict=True))


def breached_deadlines(*, status: str, now: datetime, **deadline_values: datetime) -> list[str]:
    """Names of the clocks the incident is past (`response_deadline=`, `resolution_deadline=`
    given by keyword). Overdue means this list is not empty."""
    return [c.name for c in CLOCKS if status in c.runs_in and now > deadline_values[c.deadline_field]]


def breach_level(*, status: str, now: datetime, **deadline_values: datetime) -> int:
    """The escalation level the incident's breaches call for now (0: on time)."""
    return max((c.level for c in CLOCKS if status in c.runs_in and now > deadline_values[c.deadline_field]),
               default=0)


def _values(incident) -> dict[str, datetime]:
    return {c.deadline_field: getattr(incident, c.deadline_field) for c in CLOCKS}


def breached(incident, now: datetime | None = None) -> list[str]:
    """`breached_deadlines` of a stored incident (now by default)."""
    return breached_deadlines(status=incident.status, now=now or timezone.now(), **_values(incident))


def is_overdue(incident, now: datetime | None = None) -> bool:
    return bool(breached(incident, now))


def level_of(incident, now: datetime | None = None) -> int:
    """`breach_level` of a stored incident (now by default)."""
    return breach_level(status=incident.status, now=now or timezone.now(), **_values(incident))


def met(incident, name: str) -> bool:
    """Whether the work clock `name` times was done by its deadline (the KPIs' "on time")."""
    clock = CLOCKS_BY_NAME[name]
    done = getattr(incident, clock.stop_field)
    return done is not None and done <= getattr(incident, clock.deadline_field)


# --- SQL: many rows (Django ORM expressions on Incident) ---------------------------------------

def _breached_q(clock: Clock, now: datetime) -> Q:
    return Q(status__in=sorted(clock.runs_in), **{f"{clock.deadline_field}__lt": now})


def overdue_q(now: datetime | None = None) -> Q:
    """Incidents past a deadline of a clock that runs in their status."""
    now = now or timezone.now()
    condition = Q()
    for clock in CLOCKS:
        condition |= _breached_q(clock, now)
    return condition


def escalation_due_q(now: datetime) -> Q:
    """Incidents whose breaches call for a higher level than they hold (what the sweep claims)."""
    condition = Q()
    for clock in CLOCKS:
        condition |= _breached_q(clock, now) & Q(escalation_level__lt=clock.level)
    return condition


def met_q(name: str) -> Q:
    """`met` as a filter: the clock's work stamped, at or before its deadline."""
    clock = CLOCKS_BY_NAME[name]
    return Q(**{f"{clock.stop_field}__isnull": False, f"{clock.stop_field}__lte": F(clock.deadline_field)})


def level_expression(now: datetime) -> Case:
    """`breach_level` as a column (annotate with it): the highest level first."""
    ranked = sorted(CLOCKS, key=lambda c: c.level, reverse=True)
    return Case(*[When(_breached_q(c, now), then=Value(c.level)) for c in ranked],
                default=Value(0), output_field=IntegerField())


# --- numpy: whole timelines (the history generator) --------------------------------------------

def hours_arrays(priority: Sequence[str], hours: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`deadlines`' choice over arrays of types: each clock's hours field, the type's hours unless
    zero or missing (NaN), else the priority's default."""
    table = conf.priority_deadline_hours()
    chosen = {}
    for index, clock in enumerate(CLOCKS):
        default = np.array([table[str(p)][index] for p in priority], dtype=float)
        given = np.asarray(hours[clock.hours_field], dtype=float)
        chosen[clock.hours_field] = np.where(np.isnan(given) | (given == 0), default, given)
    return chosen


def deadline_arrays(reported: np.ndarray, hours: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each clock's deadline field (epoch seconds) from report times and `hours_arrays`' hours."""
    return {clock.deadline_field: reported + hours[clock.hours_field] * 3600.0 for clock in CLOCKS}


def status_at(stages: Sequence[tuple[np.ndarray, str]], first: str, at: np.ndarray) -> np.ndarray:
    """Each incident's status at `at` (epoch seconds): the last stage entered by then.

    `stages` are (entry times, NaN = never; status) in the order an incident goes through them,
    and `first` is the status before any of them (the report's)."""
    status = np.full(len(at), first, dtype=object)
    for times, name in stages:
        status = np.where(times <= at, name, status)
    return status


def breach_levels(status: np.ndarray, at: np.ndarray, deadline_values: dict[str, np.ndarray]) -> np.ndarray:
    """`breach_level` over arrays: statuses, moments and each clock's deadline field (epoch seconds)."""
    level = np.zeros(len(at), dtype=int)
    for clock in CLOCKS:
        hit = np.isin(status, sorted(clock.runs_in)) & (at > deadline_values[clock.deadline_field])
        level = np.where(hit, np.maximum(level, clock.level), level)
    return level


def history_escalation(stages: Sequence[tuple[np.ndarray, str]], first: str, deadline_values: dict[str, np.ndarray],
                       now: float, delay: float) -> tuple[np.ndarray, np.ndarray]:
    """(escalation level, when it was reached or NaN) of each incident at `now`, as the sweep
    would have left it had it run `delay` seconds (> 0) after each deadline: at each such moment
    the level rises to `breach_level` of the status the incident was in then, and never falls.

    `deadline_values` maps each clock's deadline field to epoch seconds; `stages` as `status_at`.
    """
    moments = [deadline_values[clock.deadline_field] + delay for clock in CLOCKS]
    reached = [np.where(at <= now, breach_levels(status_at(stages, first, at), at, deadline_values), 0)
               for at in moments]
    level = np.max(reached, axis=0)
    escalated = np.full(len(level), np.nan)
    for at, got in zip(moments, reached):
        escalated = np.where((got == level) & (level > 0), np.fmin(escalated, at), escalated)
    return level, escalated
