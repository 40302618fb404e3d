"""Reads behind the Open311 endpoints: the service list and the public request feed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, OuterRef, QuerySet, Subquery

from gridops.core.errors import InvalidInput, NotFound

from ..models import OPEN_STATUSES, EventType, Incident, IncidentPhoto, Status
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
    # The first photo's stored name (`serializers.request_dict` shows it as media_url): a column of
    # the same query; a prefetch of 1000 incidents' photos cost ~90 ms per page in its IN list.
    first_photo = IncidentPhoto.objects.filter(incident=OuterRef("pk")).order_by("id").values("file")[:1]
    return (Incident.objects.filter(category__kind__in=conf.public_kinds())
            .select_related("event_type", "department", "town", "grid", "command_centre", "open311")
            # Only the columns `serializers.request_dict` reads: a feed page is up to 1000 incidents
            # with six related rows each, and building full instances was most of a GET's CPU
            # (bench/results/loadtest_profile.md). Reporters' personal data is never loaded.
            .only(*PUBLIC_FIELDS)
            .annotate(first_photo_file=Subquery(first_photo)))


# What the public feed shows of an incident and its related rows (`serializers.request_dict`).
PUBLIC_FIELDS = (
    "id", "status", "merged_into_id", "description", "address", "point", "reported_at", "updated_at",
    "resolution_deadline", "event_type__name", "event_type__code", "department__name", "town__name", "grid__name",
    "command_centre__name", "open311__media_url",
)


def public_request(request_id: str) -> Incident:
    try:
        pk = int(str(request_id).strip())
    except ValueError:
        raise NotFound(f"service_request_id {request_id!r} not found", field="service_request_id") from None
    incident = public_requests().filter(pk=pk).first()
    if incident is None:
        raise NotFound(f"service_request_id {request_id!r} not found", field="service_request_id")
    return incident


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
    incidents: list[Incident]
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
    rows = list(qs[(page - 1) * size: page * size + 1])
    return RequestPage(rows[:size], len(rows) > size)
