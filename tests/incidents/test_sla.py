"""The SLA clocks (`gridops/incidents/sla.py`): the Python, SQL and numpy forms of one definition agree.

The SQL side runs on the real PostGIS database: random incidents (status, deadlines, escalation
level) and random clocks (now, in either time zone, on and around the deadlines) are written to
stored incidents, then `level_expression`, `overdue_q`, `escalation_due_q` and `met_q` are evaluated
by PostgreSQL and compared with `breach_level`, `is_overdue`, "level called for > level held" and
`met` in Python; the sweep itself must then move exactly those incidents to exactly those levels.
"""
from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db.models import BooleanField, ExpressionWrapper
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gridops.incidents import sla
from gridops.incidents.models import Incident, Source, Status
from gridops.incidents.services.escalation import escalate_overdue
from gridops.incidents.services.intake import incident_report
from tests.fuzzing import examples

from .factories import NZ_POINT

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=dt_timezone.utc)
ROWS = 6
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_deadlines_use_type_hours_then_priority_defaults():
    assert sla.deadlines(reported_at=T0, priority="normal", response_hours=1, resolution_hours=10) == (
        T0 + timedelta(hours=1), T0 + timedelta(hours=10))
    assert sla.deadlines(reported_at=T0, priority="urgent", response_hours=None, resolution_hours=0) == (
        T0 + timedelta(hours=0.5), T0 + timedelta(hours=4))


def test_hours_arrays_choose_as_deadlines_does():
    hours = sla.hours_arrays(["normal", "urgent", "important"], {
        "response_hours": np.array([1.0, np.nan, 0.0]), "resolution_hours": np.array([10.0, 0.0, np.nan])})
    assert hours["response_hours"].tolist() == [1.0, 0.5, 2.0]
    assert hours["resolution_hours"].tolist() == [10.0, 4.0, 24.0]


@pytest.mark.parametrize("status, hours, level", [
    (Status.REPORTED, 1, 0), (Status.REPORTED, 3, 1), (Status.REPORTED, 30, 2),
    (Status.IN_PROGRESS, 3, 0), (Status.IN_PROGRESS, 30, 2),
    (Status.RESOLVED, 30, 0), (Status.CLOSED, 300, 0), (Status.RETURNED, 3, 1),
])
def test_breach_level(status, hours, level):
    assert sla.breach_level(status=status, now=T0 + timedelta(hours=hours), response_deadline=T0 + timedelta(hours=2),
                            resolution_deadline=T0 + timedelta(hours=24)) == level


def test_labels_and_names_cover_every_level():
    levels = {0} | {clock.level for clock in sla.CLOCKS}
    assert set(sla.ESCALATION_LABELS) == set(sla.ESCALATION_LEVEL_NAMES) == levels


# --- Python and SQL agree (PostGIS) ------------------------------------------------------------

# Offsets from T0: mostly a few seconds either side of the same moments (where `>` and `<` differ
# from `>=` and `<=`), sometimes anywhere within a few days, with microseconds (PostgreSQL keeps them).
offsets = st.one_of(
    st.integers(-3, 3).map(lambda s: timedelta(seconds=s)),
    st.builds(lambda m, us: timedelta(minutes=m, microseconds=us), st.integers(-6000, 6000), st.integers(0, 999_999)),
)
stamps = st.one_of(st.none(), offsets)  # accepted_at, resolved_at: not yet, or some time
incident_rows = st.lists(st.tuples(st.sampled_from(Status.values), offsets, offsets, st.integers(0, 2), stamps, stamps),
                         min_size=ROWS, max_size=ROWS)
clocks = st.tuples(offsets, st.sampled_from([dt_timezone.utc, SHANGHAI]))


@pytest.fixture
def stored(world):
    """ROWS stored incidents whose SLA columns each example overwrites."""
    return [incident_report(reporter=world["users"]["citizen"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                            event_type=world["types"]["manhole"], source=Source.CITIZEN,
                            client_key=f"sla-{n}")[0].pk for n in range(ROWS)]


def _store(ids, rows) -> None:
    for pk, (status, response, resolution, level, accepted, resolved) in zip(ids, rows):
        Incident.objects.filter(pk=pk).update(
            status=status, response_deadline=T0 + response, resolution_deadline=T0 + resolution,
            escalation_level=level, accepted_at=None if accepted is None else T0 + accepted,
            resolved_at=None if resolved is None else T0 + resolved)


def _flag(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


def _in_sql(ids, now) -> dict[int, tuple]:
    met = {f"met_{clock.name}": _flag(sla.met_q(clock.name)) for clock in sla.CLOCKS}
    rows = Incident.objects.filter(pk__in=ids).annotate(
        level=sla.level_expression(now), overdue=_flag(sla.overdue_q(now)), due=_flag(sla.escalation_due_q(now)), **met,
    ).values_list("pk", "level", "overdue", "due", *met)
    return {pk: tuple(rest) for pk, *rest in rows}


def _in_python(ids, now) -> dict[int, tuple]:
    answer = {}
    for incident in Incident.objects.filter(pk__in=ids):
        level = sla.level_of(incident, now)
        answer[incident.pk] = (level, sla.is_overdue(incident, now), level > incident.escalation_level,
                               *(sla.met(incident, clock.name) for clock in sla.CLOCKS))
    return answer


@settings(max_examples=examples(40), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=incident_rows, clock=clocks)
@example(rows=[(Status.DISPATCHED, timedelta(0), timedelta(hours=1), 0, timedelta(0), None)] * ROWS,
         clock=(timedelta(0), SHANGHAI))
@example(rows=[(Status.RETURNED, timedelta(seconds=-1), timedelta(seconds=-1), 1, None, timedelta(seconds=-1))] * ROWS,
         clock=(timedelta(0), dt_timezone.utc))
def test_python_and_sql_agree_on_overdue_level_escalation_and_on_time(stored, rows, clock):
    offset, zone = clock
    now = (T0 + offset).astimezone(zone)
    _store(stored, rows)
    python = _in_python(stored, now)
    assert _in_sql(stored, now) == python
    # The sweep claims by SQL and decides by Python: it moves exactly the due ones, to their level.
    held = dict(Incident.objects.filter(pk__in=stored).values_list("pk", "escalation_level"))
    assert escalate_overdue(now) == sum(due for _, _, due, *_ in python.values())
    after = dict(Incident.objects.filter(pk__in=stored).values_list("pk", "escalation_level"))
    assert after == {pk: max(held[pk], python[pk][0]) for pk in stored}


# --- numpy (the history generator) agrees with sweeping by the Python rule ------------------------

# A timeline: the statuses an incident enters after its report, each some seconds after the last.
PATHS = [
    [Status.REGISTERED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.VERIFIED, Status.CLOSED],
    [Status.REGISTERED, Status.DISPATCHED, Status.RETURNED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED],
    [Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED, Status.DISPATCHED, Status.IN_PROGRESS],
    [Status.REGISTERED, Status.VOID],
    [Status.VOID],
]
timelines = st.tuples(
    st.sampled_from(range(len(PATHS))),
    st.lists(st.integers(1, 40), min_size=6, max_size=6),      # gaps between stages (× 600 s)
    st.integers(0, 6),                                           # stages reached (the rest never happen)
    st.integers(1, 60), st.integers(0, 120),                     # response, resolution - response (× 600 s)
)


def _python_sweep(entered: list[tuple[float, str]], deadline_values: dict[str, float], now: float,
                  delay: float) -> tuple[int, float]:
    """What `escalate_overdue` run `delay` after each deadline leaves: (level, when it was reached)."""
    def status_at(t):
        current = Status.REPORTED
        for when, status in entered:
            if when <= t:
                current = status
        return current

    level, reached = 0, float("nan")
    for at in sorted(value + delay for value in deadline_values.values()):
        if at > now:
            break
        called = sla.breach_level(status=status_at(at), now=datetime.fromtimestamp(at, dt_timezone.utc),
                                  **{k: datetime.fromtimestamp(v, dt_timezone.utc) for k, v in deadline_values.items()})
        if called > level:
            level, reached = called, at
    return level, reached


@settings(max_examples=examples(60))
@given(lines=st.lists(timelines, min_size=1, max_size=12), now_steps=st.integers(0, 400))
def test_history_escalation_agrees_with_sweeping_by_the_python_rule(lines, now_steps):
    step, delay, now = 600.0, 300.0, 1_700_000_000.0 + now_steps * 600.0
    reported = 1_700_000_000.0
    stage_count = max(len(path) for path in PATHS)
    times = np.full((stage_count, len(lines)), np.nan)
    statuses = [[None] * len(lines) for _ in range(stage_count)]
    deadline_values = {"response_deadline": np.empty(len(lines)), "resolution_deadline": np.empty(len(lines))}
    expected = []
    for row, (path_index, gaps, reached, response, resolution) in enumerate(lines):
        path, at, entered = PATHS[path_index], reported, []
        for k, status in enumerate(path[:reached]):
            at += gaps[k] * step
            if at <= now:
                times[k, row], statuses[k][row] = at, status
                entered.append((at, status))
        values = {"response_deadline": reported + response * step,
                  "resolution_deadline": reported + (response + resolution) * step}
        for name, value in values.items():
            deadline_values[name][row] = value
        expected.append(_python_sweep(entered, values, now, delay))
    # One stage array per position in the path: an incident's k-th status (NaN where it has none).
    stages = [(times[k], np.array(statuses[k], dtype=object)) for k in range(stage_count)]
    level, escalated = sla.history_escalation(_stages_by_status(stages), Status.REPORTED, deadline_values, now, delay)
    assert level.tolist() == [lvl for lvl, _ in expected]
    assert np.allclose(escalated, [when for _, when in expected], equal_nan=True)


def _stages_by_status(stages):
    """`status_at` takes (times, one status) pairs; split each position's mixed statuses by status."""
    split = []
    for times, names in stages:
        for status in Status.values:
            mask = names == status
            if mask.any():
                split.append((np.where(mask, times, np.nan), status))
    return split
