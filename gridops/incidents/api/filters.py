"""Query-string filters of the incident list: parsed strictly, a bad value is a 400 naming it."""
from __future__ import annotations

import math

from django.contrib.gis.geos import Polygon
from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter

from gridops.core.errors import InvalidInput

from .. import selectors, sla
from ..models import Priority, Status

PARAMETERS = [
    OpenApiParameter("status", str, description="Comma-separated statuses (reported, registered, ...)"),
    OpenApiParameter("category", str, description="Category code(s), comma-separated"),
    OpenApiParameter("event_type", str, description="Event-type code(s), comma-separated"),
    OpenApiParameter("priority", str, description="urgent, important or normal (comma-separated)"),
    OpenApiParameter("department", str, description="Department code"),
    OpenApiParameter("town", str, description="Town code"),
    OpenApiParameter("grid", str, description="Micro-grid code"),
    OpenApiParameter("since", str, description="Reported at or after (ISO date or date-time)"),
    OpenApiParameter("until", str, description="Reported before (ISO date or date-time)"),
    OpenApiParameter("bbox", str, description="min_lon,min_lat,max_lon,max_lat (WGS84)"),
    OpenApiParameter("overdue", bool, description="Only overdue incidents"),
    OpenApiParameter("open", bool, description="Only open incidents"),
    OpenApiParameter("q", str, description="Search: an incident number (#123 or 123), part of its address, or "
                                           "part of its micro-grid's or village's name"),
]

SEARCH_MAX_LENGTH = 64


def text_param(params, name: str, max_length: int = 200) -> str:
    """A query-string value as text; NUL characters (which PostgreSQL refuses) are a 400."""
    value = params.get(name) or ""
    if "\x00" in value:
        raise InvalidInput(f"{name} contains a NUL character", field=name)
    return value[:max_length]


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _choices(params, name: str, allowed: list[str]) -> list[str] | None:
    if not params.get(name):
        return None
    values = _csv(params[name])
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidInput(f"unknown {name} {', '.join(unknown)}; use {', '.join(allowed)}", field=name)
    return values


def _time(params, name: str):
    text = params.get(name)
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:  # well formed but impossible (30 February): a 400 below, not a 500
        value = None
    if value is None:
        day = None
        try:
            day = parse_date(text)
        except ValueError:
            pass
        if day is None:
            raise InvalidInput(f"{name} must be an ISO date or date-time", field=name)
        value = timezone.datetime(day.year, day.month, day.day)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _flag(params, name: str) -> bool | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    lowered = text.lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise InvalidInput(f"{name} must be true or false", field=name)


def parse_bbox(text: str, name: str = "bbox") -> Polygon:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidInput(f"{name} must be four numbers: min_lon,min_lat,max_lon,max_lat", field=name) from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(f"{name} must be four finite numbers: min_lon,min_lat,max_lon,max_lat", field=name)
    x0, y0, x1, y1 = values
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise InvalidInput(f"{name} must have min < max within WGS84 bounds", field=name)
    return Polygon.from_bbox((x0, y0, x1, y1))


def filter_incidents(qs: QuerySet, params) -> QuerySet:
    for name in list(params.keys()):
        text_param(params, name)
    statuses = _choices(params, "status", list(Status.values))
    if statuses:
        qs = qs.filter(status__in=statuses)
    priorities = _choices(params, "priority", list(Priority.values))
    if priorities:
        qs = qs.filter(priority__in=priorities)
    if params.get("category"):
        qs = qs.filter(category__code__in=_csv(params["category"]))
    if params.get("event_type"):
        qs = qs.filter(event_type__code__in=_csv(params["event_type"]))
    for name, lookup in (("department", "department__code"), ("town", "town__code"), ("grid", "grid__code")):
        if params.get(name):
            qs = qs.filter(**{lookup: params[name].strip()})
    since, until = _time(params, "since"), _time(params, "until")
    if since:
        qs = qs.filter(reported_at__gte=since)
    if until:
        qs = qs.filter(reported_at__lt=until)
    bbox = params.get("bbox") or params.get("in_bbox")
    if bbox:
        qs = qs.filter(point__contained=parse_bbox(bbox, "bbox" if params.get("bbox") else "in_bbox"))
    if _flag(params, "overdue"):
        qs = qs.filter(sla.overdue_q())
    if _flag(params, "open"):
        qs = qs.filter(status__in=[s.value for s in selectors.OPEN_STATUSES])
    if params.get("q", "").strip():
        qs = selectors.incidents_search(qs, text_param(params, "q", SEARCH_MAX_LENGTH))
    return qs
