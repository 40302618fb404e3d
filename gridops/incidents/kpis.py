"""Key performance indicators of incident handling, by zone, department, category and period.

One SQL statement per question: counts by status, the closure rate (办结率), on-time rates and the
medians (PostgreSQL `percentile_cont`) are aggregated in the database, grouped if asked, over
exactly the incidents the user may see (`incidents_visible_to`), so a KPI never reveals what a
list would hide.

Definitions (those of the district's monthly assessment):
- 办结率 closure rate = incidents resolved or later (办结, 核查, 结案) / all incidents not voided;
- on-time rate = incidents resolved by their resolution deadline / incidents resolved;
- response on-time rate = incidents accepted by their response deadline / incidents accepted;
- median time to dispatch = report → dispatch; median time to resolve = report → 办结;
- ever dispatched = incidents that have been dispatched (派遣), whatever happened to them since.

Grouped by a zone level, an incident counts in the zone it was located in when reported (its
stored chain, of the boundary generation then in force). With `generation` (a redrawn grid's
`?generation=N` or `?date=`), the counts are re-expressed on that generation's zones through the
area-weighted crosswalk (`geodata.crosswalk`): fractional counts whose total is the same; rates
follow from them, medians (not additive) are null.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from gridops.core.errors import InvalidInput
from gridops.core.filtersets import as_data
from gridops.core.filtersets import filtered as filtered_qs

from .filters import KpiIncidentFilter
from .models import Incident, Status
from .selectors import incidents_visible_to
from .sla import met_q, overdue_q

RESOLVED_OR_LATER = (Status.RESOLVED, Status.VERIFIED, Status.CLOSED)
OPEN = (Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED)


class Median(Aggregate):
    """percentile_cont(0.5) WITHIN GROUP (ORDER BY expr); works on intervals as well as numbers."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_filter = True


def _interval(end: str, start: str = "reported_at") -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _aggregates(now: datetime) -> dict:
    counts = {f"n_{status}": Count("id", filter=Q(status=status)) for status in Status.values}
    return counts | {
        "n_total": Count("id"),
        "n_dispatched_any": Count("id", filter=Q(dispatched_at__isnull=False)),
        "n_resolved_on_time": Count("id", filter=met_q("resolution") & ~Q(status=Status.VOID)),
        "n_resolved_any": Count("id", filter=Q(resolved_at__isnull=False) & ~Q(status=Status.VOID)),
        "n_accepted_on_time": Count("id", filter=met_q("response")),
        "n_accepted_any": Count("id", filter=Q(accepted_at__isnull=False)),
        "n_overdue_open": Count("id", filter=overdue_q(now)),
        "median_dispatch": Median(_interval("dispatched_at"), filter=Q(dispatched_at__isnull=False),
                                  output_field=DurationField()),
        "median_resolve": Median(_interval("resolved_at"), filter=Q(resolved_at__isnull=False)
                                 & ~Q(status=Status.VOID), output_field=DurationField()),
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _hours(value: timedelta | None, unit: float = 3600.0) -> float | None:
    return round(value.total_seconds() / unit, 2) if value is not None else None


def _metrics(row: dict) -> dict:
    """Raw aggregates → the published KPI record."""
    by_status = {status: row[f"n_{status}"] for status in Status.values}
    not_void = row["n_total"] - by_status[Status.VOID]
    resolved = sum(by_status[s] for s in RESOLVED_OR_LATER)
    return {
        "total": row["n_total"],
        "by_status": by_status,
        "open": sum(by_status[s] for s in OPEN),
        "ever_dispatched": row["n_dispatched_any"],
        "resolved_or_later": resolved,
        "void": by_status[Status.VOID],
        "overdue_open": row["n_overdue_open"],
        "closure_rate": _rate(resolved, not_void),
        "on_time_rate": _rate(row["n_resolved_on_time"], row["n_resolved_any"]),
        "response_on_time_rate": _rate(row["n_accepted_on_time"], row["n_accepted_any"]),
        "median_dispatch_minutes": _hours(row["median_dispatch"], 60.0),
        "median_resolve_hours": _hours(row["median_resolve"]),
    }


# --- grouping: one table from a name to the SQL key and its label ------------------------------

@dataclass(frozen=True)
class Grouping:
    key: object  # a field name or an expression
    label: str | None = None  # a field name for the label, when the key is an id


GROUPINGS = {
    "town": Grouping("town__code", "town__name"),
    "area": Grouping("area__code", "area__name"),
    "village": Grouping("village__code", "village__name"),
    "grid": Grouping("grid__code", "grid__name"),
    "department": Grouping("department__code", "department__name"),
    "category": Grouping("category__code", "category__name"),
    "event_type": Grouping("event_type__code", "event_type__name"),
    "priority": Grouping("priority"),
    "source": Grouping("source"),
    "status": Grouping("status"),
    "day": Grouping(TruncDay("reported_at")),
    "week": Grouping(TruncWeek("reported_at")),
    "month": Grouping(TruncMonth("reported_at")),
}


@dataclass(frozen=True)
class KpiQuery:
    """What to count: the incident filters (`filters.KpiIncidentFilter`, the list's and the tiles'
    with `start`/`end` as older names of `since`/`until`) and the grouping. The named fields are for
    Python callers (the screen); `params` carries any other filter, e.g. the API's query string."""

    zone: str | None = None  # zone code at any level
    department: str | None = None  # department code
    category: str | None = None  # category code
    start: date | datetime | None = None  # reported on or after (a date: from its local midnight)
    end: date | datetime | None = None  # reported up to (a date: through the end of that day)
    group_by: str | None = None
    params: Mapping | None = None  # more incident filters by name (since, until, status, priority, ...)
    generation: object = None  # a geodata Generation: zone groups re-expressed on its grid (crosswalk)

    def filter_data(self) -> dict:
        named = {"zone": self.zone, "department": self.department, "category": self.category,
                 "start": self.start, "end": self.end}
        return as_data(self.params) | {name: value for name, value in named.items() if value is not None}


def filtered(user, query: KpiQuery) -> QuerySet[Incident]:
    """The incidents a KPI counts: what the user may see, narrowed by the incident filters."""
    return filtered_qs(KpiIncidentFilter(query.filter_data(), queryset=incidents_visible_to(user)))


def incident_kpis(user, query: KpiQuery, *, now: datetime | None = None) -> dict:
    """{"overall": metrics, "groups": [{"key", "label", ...metrics}]} for what the user may see."""
    now = now or timezone.now()
    if query.group_by is not None and query.group_by not in GROUPINGS:
        raise InvalidInput(f"group_by must be one of {', '.join(GROUPINGS)}", field="group_by")
    qs = filtered(user, query).order_by()
    aggregates = _aggregates(now)
    result = {"overall": _metrics(qs.aggregate(**aggregates)), "groups": []}
    if query.group_by in ZONE_GROUPS and query.generation is not None:
        result["groups"] = _groups_on_generation(qs, aggregates, query.group_by, query.generation)
        result["generation"] = query.generation.pk
    elif query.group_by:
        grouping = GROUPINGS[query.group_by]
        names = {"k": grouping.key if not isinstance(grouping.key, str) else F(grouping.key)}
        if grouping.label:
            names["l"] = F(grouping.label)
        rows = qs.values(**names).annotate(**aggregates).order_by("k")
        for row in rows:
            key = row["k"]
            key = timezone.localtime(key).date().isoformat() if isinstance(key, datetime) else key
            label = row.get("l") or _choice_label(query.group_by, key)
            result["groups"].append({"key": key, "label": label} | _metrics(row))
    return result


ZONE_GROUPS = ("town", "area", "village", "grid")
# Aggregates that are counts (additive, so they can be spread by area); the rest are medians.
_ADDITIVE = tuple(f"n_{status}" for status in Status.values) + (
    "n_total", "n_dispatched_any", "n_resolved_on_time", "n_resolved_any", "n_accepted_on_time", "n_accepted_any",
    "n_overdue_open")


def _groups_on_generation(qs: QuerySet, aggregates: dict, group_by: str, generation) -> list[dict]:
    """Counts per recorded zone row → per zone of `generation`, through the area crosswalk."""
    from geodata.crosswalk import crosswalk_values
    from geodata.models import Zone

    rows = qs.values(k=F(f"{group_by}_id")).annotate(**{name: aggregates[name] for name in _ADDITIVE})
    walked = crosswalk_values({row["k"]: {name: row[name] for name in _ADDITIVE} for row in rows if row["k"]},
                              generation=generation)
    zones = Zone.objects.in_generation(generation).filter(pk__in=walked.values).only("code", "name")
    groups = []
    for zone in sorted(zones, key=lambda z: z.code):
        figures = {name: round(walked.values[zone.pk].get(name, 0.0), 4) for name in _ADDITIVE}
        metrics = _metrics(figures | {"median_dispatch": None, "median_resolve": None})
        groups.append({"key": zone.code, "label": zone.name} | metrics)
    return groups


def _choice_label(group_by: str, key) -> str | None:
    field_name = {"priority": "priority", "source": "source", "status": "status"}.get(group_by)
    if field_name is None:
        return str(key) if key is not None else None
    return dict(Incident._meta.get_field(field_name).choices).get(key, key)


def kpi_strip(user, *, categories=(), priorities=()) -> dict:
    """The console's KPI strip for the user's jurisdiction: open, overdue, closure rate today.

    Closure rate today (办结率) = incidents reported today that are already resolved, verified or
    closed, over all of today's incidents that are not void; None when nothing was reported.
    """
    from .models import OPEN_STATUSES

    qs = incidents_visible_to(user)
    if categories:
        qs = qs.filter(category__code__in=categories)
    if priorities:
        qs = qs.filter(priority__in=priorities)
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    figures = qs.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q()),
        today=Count("id", filter=Q(reported_at__gte=start) & ~Q(status=Status.VOID)),
        closed_today=Count("id", filter=Q(reported_at__gte=start,
                                           status__in=[Status.RESOLVED, Status.VERIFIED, Status.CLOSED])),
    )
    rate = figures["closed_today"] / figures["today"] if figures["today"] else None
    return {"open": figures["open"], "overdue": figures["overdue"], "reported_today": figures["today"],
            "closed_today": figures["closed_today"], "closure_rate_today": rate}
