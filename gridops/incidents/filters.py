"""The incident filters: one django-filter FilterSet read by the list API, the vector tiles
(`gridops.incidents.tiles`), the KPIs (`kpis.filtered`) and the CSV export, so a query string
selects the same incidents in all four (`gridops.core.filtersets` runs it and answers errors).

Semantics (documented in the README's "Incident filters"):
- `since` / `until`: an ISO date or date-time. A date is a whole day in the district's local time
  (`TIME_ZONE`, Asia/Shanghai): `since=2024-06-01` starts at 00:00 that day, `until=2024-06-01`
  includes that day, up to (not including) 00:00 on 2 June. A date-time is an instant (without an
  offset: local time): `since` is "at or after" it, `until` "before" it. Operators name days, so a
  day is inclusive; instants are half-open so consecutive windows never count an incident twice.
- List parameters are comma-separated; `status=open` stands for all open statuses.
- A malformed value is a 400 naming the parameter; a well-formed code that names nothing (a zone,
  department, category or event type) is a 404 naming it, as the KPI API always answered.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from geodata.models import Level, Zone
from gridops.accounts.models import Department
from gridops.core.errors import NotFound

from . import selectors, sla
from .models import OPEN_STATUSES, Category, EventType, Incident, Priority, Status

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
SEARCH_MAX_LENGTH = 64
MAX_DAYS = 3660
# The incident field that holds the located zone of each level (stored at intake).
LEVEL_FIELD = {Level.TOWN: "town", Level.AREA: "area", Level.VILLAGE: "village", Level.GRID: "grid"}
TRUE, FALSE = ("1", "true", "yes"), ("0", "false", "no")


def _items(value) -> list[str]:
    return [item.strip() for item in str(value).split(",") if item.strip()]


# --- form fields: text → typed value, or a ValidationError (→ 400 naming the parameter) ----------

class MomentField(forms.Field):
    """An ISO date or date-time → the aware instant that bounds the period (see the module doc).

    `end=True` turns a date into the next local midnight (the day is included). The date is tried
    first: Django 5 parses a bare date as a date-time too. Impossible dates (30 February, the day
    after 9999-12-31) are a 400 like any bad text. Python callers may pass date/datetime objects."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            if isinstance(value, datetime):
                moment = value
            elif isinstance(value, date):
                moment = self._day(value)
            else:
                text = str(value).strip()
                day = parse_date(text)
                moment = self._day(day) if day is not None else parse_datetime(text)
        except (ValueError, OverflowError):
            moment = None
        if moment is None:
            raise ValidationError("must be an ISO date (2024-06-01) or date-time (2024-06-01T08:30)", code="invalid")
        return timezone.make_aware(moment, timezone.get_default_timezone()) if timezone.is_naive(moment) else moment

    def _day(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1) if self.end else day, time.min)


class CodeListField(forms.Field):
    """Comma-separated codes (letters, digits, `_.-`) → a sorted list."""

    def to_python(self, value):
        items = _items(value) if value not in self.empty_values else []
        for item in items:
            if not CODE_RE.match(item):
                raise ValidationError(f"{item[:40]!r} is not a code", code="invalid")
        return sorted(set(items)) or None


class ChoiceListField(forms.Field):
    """Comma-separated choices (and aliases that stand for several) → a sorted list."""

    def __init__(self, *, choices, aliases=None, **kwargs):
        self.allowed, self.aliases = [str(c) for c in choices], aliases or {}
        super().__init__(**kwargs)

    def to_python(self, value):
        chosen: set[str] = set()
        for item in _items(value) if value not in self.empty_values else []:
            if item in self.aliases:
                chosen.update(str(alias) for alias in self.aliases[item])
            elif item in self.allowed:
                chosen.add(item)
            else:
                raise ValidationError(f"unknown value {item[:40]!r}; use {', '.join([*self.aliases, *self.allowed])}",
                                      code="invalid_choice")
        return sorted(chosen) or None


class FlagField(forms.Field):
    """true/false, 1/0 or yes/no; anything else is a 400 (not silently false)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in TRUE or value is True:
            return True
        if text in FALSE or value is False:
            return False
        raise ValidationError("must be true or false", code="invalid")


class BBoxField(forms.Field):
    """min_lon,min_lat,max_lon,max_lat in WGS84 → a polygon."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            values = [float(v) for v in str(value).split(",")]
        except ValueError:
            raise ValidationError("must be four numbers: min_lon,min_lat,max_lon,max_lat", code="invalid") from None
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise ValidationError("must be four finite numbers: min_lon,min_lat,max_lon,max_lat", code="invalid")
        x0, y0, x1, y1 = values
        if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
            raise ValidationError("must have min < max within WGS84 bounds", code="invalid")
        box = Polygon.from_bbox((x0, y0, x1, y1))
        box.srid = 4326
        return box


class DaysField(forms.FloatField):
    def validate(self, value):
        super().validate(value)
        if value is not None and not 0 < value <= MAX_DAYS:
            raise ValidationError(f"must be more than 0 and at most {MAX_DAYS}", code="invalid")


class SearchField(forms.CharField):
    """Free text, cut to SEARCH_MAX_LENGTH characters (the console's input allows no more)."""

    def to_python(self, value):
        return super().to_python(value)[:SEARCH_MAX_LENGTH]


# --- filters: typed value → queryset -------------------------------------------------------------

class ChoiceListFilter(django_filters.Filter):
    """`<field_name>__in` the cleaned list of choices."""

    field_class = ChoiceListField

    def __init__(self, *args, lookup_expr="in", **kwargs):
        super().__init__(*args, lookup_expr=lookup_expr, **kwargs)


class MomentFilter(django_filters.Filter):
    field_class = MomentField


class FlagFilter(django_filters.Filter):
    field_class = FlagField


class BBoxFilter(django_filters.Filter):
    field_class = BBoxField


class DaysFilter(django_filters.Filter):
    field_class = DaysField


class SearchFilter(django_filters.Filter):
    field_class = SearchField


class CodeFilter(django_filters.Filter):
    """Codes of a reference table: every code must exist (404 naming the parameter, which is the
    filter's name: `field_name` is left to default to it), then `<lookup>__in`."""

    field_class = CodeListField

    def __init__(self, *, model, lookup: str, scope: dict | None = None, **kwargs):
        self.model_ref, self.lookup, self.scope = model, lookup, scope or {}
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        found = set(self.model_ref.objects.filter(code__in=value, **self.scope).values_list("code", flat=True))
        missing = [code for code in value if code not in found]
        if missing:
            raise NotFound(f"{self.field_name} {missing[0]!r} not found", field=self.field_name)
        return qs.filter(**{f"{self.lookup}__in": value})


class ZoneFilter(django_filters.Filter):
    """A zone code at any level: the incidents located in it (the district: all of them)."""

    field_class = CodeListField

    def filter(self, qs, value):
        if not value:
            return qs
        zones = list(Zone.objects.filter(code__in=value).only("id", "code", "level"))
        missing = sorted(set(value) - {zone.code for zone in zones})
        if missing:
            raise NotFound(f"zone {missing[0]!r} not found", field=self.field_name)
        if any(zone.level == Level.DISTRICT for zone in zones):
            return qs
        within = Q()
        for zone in zones:
            within |= Q(**{f"{LEVEL_FIELD[zone.level]}_id": zone.pk})
        return qs.filter(within)


class FilterForm(forms.Form):
    """A period must start before it ends (checked for every spelling of the bounds)."""

    BOUNDS = (("since", "until"), ("start", "end"))

    def clean(self):
        cleaned = super().clean()
        lower = next((name for name, _ in self.BOUNDS if cleaned.get(name)), None)
        upper = next((name for _, name in self.BOUNDS if cleaned.get(name)), None)
        if lower and upper and cleaned[lower] >= cleaned[upper]:
            self.add_error(lower, ValidationError(f"must be before {upper}", code="invalid"))
        return cleaned


class IncidentFilter(django_filters.FilterSet):
    status = ChoiceListFilter(choices=Status.values, aliases={"open": OPEN_STATUSES},
                        help_text="Comma-separated statuses (reported, registered, ...); open = all open ones")
    priority = ChoiceListFilter(choices=Priority.values,
                          help_text="urgent, important or normal (comma-separated)")
    category = CodeFilter(model=Category, lookup="category__code", help_text="Category code(s), comma-separated")
    event_type = CodeFilter(model=EventType, lookup="event_type__code", help_text="Event-type code(s), comma-separated")
    department = CodeFilter(model=Department, lookup="department__code", help_text="Department code(s)")
    town = CodeFilter(model=Zone, lookup="town__code", scope={"level": Level.TOWN}, help_text="Town code(s)")
    grid = CodeFilter(model=Zone, lookup="grid__code", scope={"level": Level.GRID}, help_text="Micro-grid code(s)")
    zone = ZoneFilter(help_text="Zone code(s) at any level (district, town, area, village, micro-grid)")
    since = MomentFilter(field_name="reported_at", lookup_expr="gte",
                         help_text="Reported at or after: an ISO date (from 00:00 Asia/Shanghai) or date-time")
    until = MomentFilter(field_name="reported_at", lookup_expr="lt", end=True,
                         help_text="Reported up to: an ISO date includes that whole day (Asia/Shanghai); "
                                   "a date-time means before that instant")
    days = DaysFilter(method="filter_days",
                                 help_text=f"Reported in the last N days (0 < N <= {MAX_DAYS})")
    bbox = BBoxFilter(field_name="point", lookup_expr="contained",
                                 help_text="min_lon,min_lat,max_lon,max_lat (WGS84)")
    in_bbox = BBoxFilter(field_name="point", lookup_expr="contained",
                         help_text="The same as bbox (django-rest-framework-gis's name)")
    overdue = FlagFilter(method="filter_overdue", help_text="Only overdue incidents")
    open = FlagFilter(method="filter_open", help_text="Only open incidents")
    q = SearchFilter(method="filter_search", help_text="Search: #123 is incident 123 alone; other text (a bare "
                                                        "123 too) matches an incident number, part of the address, "
                                                        "or part of the micro-grid's or village's name")

    # Filters whose SQL is a function of the query string alone: no clock (`days`, `overdue`), no
    # database read (the code filters check that codes exist, `zone` and `q` read zones). A tile's
    # SQL is kept per visibility and query string when only these are set (`tiles.KEPT_SQL`); the
    # console asks its tiles with `?status=open`.
    QUERY_STRING_ONLY = frozenset({"status", "priority", "open"})

    class Meta:
        model = Incident
        fields: list[str] = []
        form = FilterForm

    def filter_days(self, qs, name, value):
        return qs.filter(reported_at__gte=timezone.now() - timedelta(days=value)) if value else qs

    def filter_overdue(self, qs, name, value):
        return qs.filter(sla.overdue_q()) if value else qs

    def filter_open(self, qs, name, value):
        return qs.filter(status__in=list(OPEN_STATUSES)) if value else qs

    def filter_search(self, qs, name, value):
        return selectors.incidents_search(qs, value) if value.strip() else qs


class KpiIncidentFilter(IncidentFilter):
    """The KPI API's query: the incident filters, with `start`/`end` as its older names of
    `since`/`until` (the same fields, so the same day semantics)."""

    start = MomentFilter(field_name="reported_at", lookup_expr="gte", help_text="The same as since")
    end = MomentFilter(field_name="reported_at", lookup_expr="lt", end=True, help_text="The same as until")
