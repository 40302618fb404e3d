"""Reads behind the Open311 endpoints: the service list and the public request feed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (BooleanField, CharField, FloatField, Func, IntegerField, Max, OuterRef, QuerySet,
                              Subquery)
from django.utils import timezone

from geodata.models import CommandCentre, Zone
from gridops.accounts.models import Department
from gridops.core.errors import InvalidInput, NotFound
from gridops.core.refcache import memoised

from ..models import OPEN_STATUSES, Category, EventType, Incident, IncidentPhoto, Status
from ..reference_rows import reference_rows
from . import conf

OPEN, CLOSED = "open", "closed"
CLOSED_STATUSES = tuple(s for s in Status.values if s not in OPEN_STATUSES)


def offered_types() -> QuerySet[EventType]:
    """Event types Open311 offers: the public kinds only. Social-governance cases (disputes,
    public-security leads, special groups) carry personal data, so their requests could never be
    read back by the client that sent them; they are reported to grid workers or 12345 instead."""
    return EventType.objects.filter(category__kind__in=conf.public_kinds())


def services() -> QuerySet[EventType]:
    return (offered_types().filter(active=True).select_related("category", "department")
            .only("code", "name", "keywords", "minor_class", "priority", "response_hours", "resolution_hours",
                  "emergency", "category__name", "category__code", "department__name", "department__short_name")
            .order_by("code"))


def service(code: str) -> EventType:
    et = services().filter(code=code).first()
    if et is None:
        raise NotFound(f"service_code {code!r} not found", field="service_code")
    return et


def changeset() -> datetime | None:
    """When the offered service definitions last changed (discovery's `changeset`)."""
    return offered_types().aggregate(last=Max("updated_at"))["last"]


def public_requests() -> QuerySet[Incident]:
    """What the public feed may show: city-management cases (never social governance)."""
    public = Category.objects.filter(kind__in=conf.public_kinds()).values("pk")
    return Incident.objects.filter(_InList("category_id", Subquery(public)))


class _InList(Func):
    """`column = ANY(ARRAY(subquery))`: the subquery runs once, in the same statement, as an init
    plan. A join to the categories instead (`category__kind__in`) made PostgreSQL weigh one more
    relation in every join order of the feed's eight: planning took ~16-25 ms per GET of the
    default feed, now ~5-6 ms (bench/results/open311_feed.md)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        (column, column_params), (subquery, subquery_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)


class _AsSent(Func):
    """A column whose value psycopg already hands over as the right Python type: no Django
    converter per row (1000 rows × 5 columns of `float()`/`int()` calls for nothing)."""

    def get_db_converters(self, connection):
        return []


class _LocalTime(_AsSent):
    """A timestamp as wall-clock text in the current time zone, to the second: what
    `isoformat(timespec="seconds")` writes before the offset (seconds truncated, as Python does).
    Formatting 3000 times costs PostgreSQL ~3 ms of CPU per GET; in Python (`fromtimestamp`,
    `isoformat` with a ZoneInfo) it cost ~7 ms for the entries not rendered before."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"to_char({column} AT TIME ZONE %s, 'YYYY-MM-DD\"T\"HH24:MI:SS')", (*params, _zone())


class _UtcOffset(_AsSent):
    """The current zone's offset from UTC at that instant, in seconds (+28800 for Asia/Shanghai
    today; the zone had summer time 1986-1991 and local mean time before 1901: asked per row)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        sql = f"extract(epoch from ({column} AT TIME ZONE %s) - ({column} AT TIME ZONE 'UTC'))::int"
        return sql, (*params, _zone(), *params)


def _zone() -> str:
    """The current time zone as PostgreSQL reads it. An IANA zone (zoneinfo) by its name; a fixed
    offset as a POSIX zone, where PostgreSQL counts hours west of UTC, so the sign flips: +05:30 is
    `UTC-05:30` to it."""
    zone = timezone.get_current_timezone()
    if getattr(zone, "key", None):
        return zone.key
    seconds = int(zone.utcoffset(None).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"UTC{'-' if seconds >= 0 else '+'}{hours:02d}:{minutes:02d}"


# The feed's columns, in the order `serializers.request_dicts` unpacks them. Plain values, no model
# instances: building 1000 incidents with six related rows each, their GEOS points and their
# timestamps in the local zone was ~120 ms of CPU per GET (bench/results/open311_feed.md); the
# database formats the times and hands over the coordinates as numbers. Reporters' personal data
# is never selected.
FEED_COLUMNS = (
    "id", "status", "merged_into_id", "event_type__name", "event_type__code", "description",
    "department__name", "command_centre__name", "requested", "requested_offset", "updated", "updated_offset",
    "expected", "expected_offset", "address", "town__name", "grid__name", "lat", "long", "open311__media_url",
    "first_photo_file",
)
# What the query selects: the reference rows' ids, named from the process's reference memo
# (`_named`). Joining the type, department, centre and both zones made PostgreSQL weigh eight
# relations in every join order: ~40 ms of planning per GET under load, for ~50 ms of running.
_SELECTED = tuple({"event_type__name": "event_type_id", "event_type__code": "event_type_id",
                   "department__name": "department_id", "command_centre__name": "command_centre_id",
                   "town__name": "town_id", "grid__name": "grid_id"}.get(c, c) for c in FEED_COLUMNS)
_ET, _DEPT, _CENTRE, _TOWN, _GRID = (FEED_COLUMNS.index(c) for c in (
    "event_type__name", "department__name", "command_centre__name", "town__name", "grid__name"))
_TIMES = {"requested": "reported_at", "updated": "updated_at", "expected": "resolution_deadline"}


def feed_rows(qs: QuerySet[Incident]) -> QuerySet:
    """`qs` (public incidents) as the feed's rows: tuples of `FEED_COLUMNS`, times in the current zone."""
    # The first photo's stored name (shown as media_url when the client sent none): a column of the
    # same query; a prefetch of 1000 incidents' photos cost ~90 ms per page in its IN list.
    first_photo = IncidentPhoto.objects.filter(incident=OuterRef("pk")).order_by("id").values("file")[:1]
    times = {}
    for name, column in _TIMES.items():
        times[name] = _LocalTime(column)
        times[f"{name}_offset"] = _UtcOffset(column)
    return qs.annotate(**times, lat=_AsSent("point", function="ST_Y", output_field=FloatField()),
                       long=_AsSent("point", function="ST_X", output_field=FloatField()),
                       first_photo_file=Subquery(first_photo)).values_list(*_SELECTED)


def _zone_names() -> dict[int, str]:
    return memoised("zone-names", None, lambda: dict(Zone.objects.values_list("id", "name")))


def _named(rows: list[tuple]) -> list[tuple]:
    """Feed rows as `FEED_COLUMNS`: the selected ids replaced by names from the process's memos (a
    row the memos do not hold yet, written by another process within a second, is read here)."""
    ref, zones = reference_rows(), _zone_names()
    types, departments, centres = ref.event_types, ref.departments, ref.centres
    if any(r[_ET] not in types for r in rows):
        types = {**types, **EventType.objects.in_bulk([r[_ET] for r in rows])}
    if any(r[_DEPT] is not None and r[_DEPT] not in departments for r in rows):
        departments = {**departments, **Department.objects.in_bulk([r[_DEPT] for r in rows if r[_DEPT]])}
    if any(r[_CENTRE] is not None and r[_CENTRE] not in centres for r in rows):
        centres = {**centres, **CommandCentre.objects.in_bulk([r[_CENTRE] for r in rows if r[_CENTRE]])}
    if any(r[_TOWN] not in zones or (r[_GRID] is not None and r[_GRID] not in zones) for r in rows):
        wanted = {r[_TOWN] for r in rows} | {r[_GRID] for r in rows if r[_GRID] is not None}
        zones = {**zones, **dict(Zone.objects.filter(pk__in=wanted).values_list("id", "name"))}
    named = []
    for row in rows:
        row = list(row)
        event_type = types[row[_ET]]
        row[_ET], row[_ET + 1] = event_type.name, event_type.code
        row[_DEPT] = departments[row[_DEPT]].name if row[_DEPT] is not None else None
        row[_CENTRE] = centres[row[_CENTRE]].name if row[_CENTRE] is not None else None
        row[_TOWN] = zones[row[_TOWN]]
        row[_GRID] = zones[row[_GRID]] if row[_GRID] is not None else None
        named.append(tuple(row))
    return named


def public_request(request_id: str) -> tuple:
    """One public request's feed row (`FEED_COLUMNS`), or NotFound."""
    try:
        pk = int(str(request_id).strip())
    except ValueError:
        raise NotFound(f"service_request_id {request_id!r} not found", field="service_request_id") from None
    row = feed_rows(public_requests().filter(pk=pk)).first()
    if row is None:
        raise NotFound(f"service_request_id {request_id!r} not found", field="service_request_id")
    return _named([row])[0]


@dataclass(frozen=True)
class RequestFilters:
    ids: tuple[int, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1


@dataclass(frozen=True)
class RequestPage:
    rows: list[tuple]  # FEED_COLUMNS
    has_more: bool


def requests_matching(filters: RequestFilters, *, now: datetime) -> RequestPage:
    """GET requests: ids win over every other filter (as the spec says); otherwise a window of
    at most `max_window_days` (default: the last 90 days), newest first, `max_requests` a page;
    `has_more` says whether the next page holds any."""
    qs = public_requests()
    if filters.ids:
        return _page(qs.filter(pk__in=filters.ids).order_by("-reported_at", "-id"), filters.page)
    end = filters.end or now
    try:
        start = filters.start or (end - timedelta(days=conf.max_window_days()))
    except OverflowError:  # end_date in the first days of year 1: no window fits before it
        raise InvalidInput("end_date is too early", field="end_date") from None
    if start > end:
        raise InvalidInput("start_date must be before end_date", field="start_date")
    if end - start > timedelta(days=conf.max_window_days()):
        raise InvalidInput(f"the date range may not exceed {conf.max_window_days()} days", field="end_date")
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    if filters.service_codes:
        qs = qs.filter(event_type__code__in=filters.service_codes)
    if filters.statuses and set(filters.statuses) != {OPEN, CLOSED}:
        qs = qs.filter(status__in=OPEN_STATUSES if OPEN in filters.statuses else CLOSED_STATUSES)
    return _page(qs.order_by("-reported_at", "-id"), filters.page)


def _page(qs: QuerySet[Incident], page: int) -> RequestPage:
    size = conf.max_requests()
    rows = list(feed_rows(qs)[(page - 1) * size: page * size + 1])
    return RequestPage(_named(rows[:size]), len(rows) > size)
