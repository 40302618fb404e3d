"""The Open311 request feed as it was rendered before issue 13's rewrite: the oracle of
test_open311_feed.py, nothing else.

Before the rewrite, GET requests loaded model instances (six related rows each, GEOS points),
turned each into a dict in Python (`timezone.localtime`, `Status(...).label`, `FieldFile` URL)
and serialised the list with `json.dumps` or an ElementTree. Production now selects plain columns
(times formatted by PostgreSQL), renders from tuples and reuses each entry's text; this module
keeps the old semantics, copied verbatim from gridops/incidents/open311 at df8a204, so the test
can prove the new answers byte-identical on a realistic data set.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from gridops.incidents.models import OPEN_STATUSES, Incident, IncidentPhoto, Status
from gridops.incidents.open311 import conf
from gridops.incidents.open311.selectors import CLOSED, CLOSED_STATUSES, OPEN, RequestFilters
from gridops.incidents.open311.serializers import _xml_text  # how one value is written: unchanged by the rewrite

PHOTO_STORAGE = IncidentPhoto._meta.get_field("file").storage
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
             "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
PUBLIC_FIELDS = (
    "id", "status", "merged_into_id", "description", "address", "point", "reported_at", "updated_at",
    "resolution_deadline", "event_type__name", "event_type__code", "department__name", "town__name", "grid__name",
    "command_centre__name", "open311__media_url",
)


def public_requests():
    first_photo = IncidentPhoto.objects.filter(incident=OuterRef("pk")).order_by("id").values("file")[:1]
    return (Incident.objects.filter(category__kind__in=conf.public_kinds())
            .select_related("event_type", "department", "town", "grid", "command_centre", "open311")
            .only(*PUBLIC_FIELDS)
            .annotate(first_photo_file=Subquery(first_photo)))


def requests_matching(filters: RequestFilters, *, now: datetime) -> tuple[list[Incident], bool]:
    """(incidents, has_more); only called with filters the production view accepted."""
    qs = public_requests()
    if filters.ids:
        return _page(qs.filter(pk__in=filters.ids).order_by("-reported_at", "-id"), filters.page)
    # The window and filters restated as one set of lookups (GeoReport v2: the last 90 days by
    # default, codes and open/closed), independent of how production composes them.
    end = filters.end or now
    lookups = {"reported_at__gte": filters.start or end - timedelta(days=conf.max_window_days()),
               "reported_at__lte": end}
    if filters.service_codes:
        lookups["event_type__code__in"] = filters.service_codes
    wanted = set(filters.statuses or ())
    if len(wanted) == 1:
        lookups["status__in"] = OPEN_STATUSES if wanted == {OPEN} else CLOSED_STATUSES
    return _page(qs.filter(**lookups).order_by("-reported_at", "-id"), filters.page)


def _page(qs, page: int) -> tuple[list[Incident], bool]:
    size = conf.max_requests()
    rows = list(qs[(page - 1) * size: page * size + 1])
    return rows[:size], len(rows) > size


def public_request(pk: int) -> Incident | None:
    return public_requests().filter(pk=pk).first()


def w3c(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _status(incident: Incident) -> tuple[str, str]:
    notes = str(Status(incident.status).label)
    if incident.merged_into_id:
        notes += f"（已合并至 {incident.merged_into_id}）"
    return (OPEN if incident.status in OPEN_STATUSES else CLOSED), notes


def _submission(incident: Incident):
    try:
        return incident.open311
    except ObjectDoesNotExist:
        return None


def request_dict(incident: Incident, *, absolute_uri) -> dict:
    status, notes = _status(incident)
    agency = incident.department.name if incident.department_id else (
        incident.command_centre.name if incident.command_centre_id else "")
    submission = _submission(incident)
    photo = incident.first_photo_file
    media_url = submission.media_url if submission is not None and submission.media_url else (
        absolute_uri(PHOTO_STORAGE.url(photo)) if photo else None)
    place = "".join(z.name for z in (incident.town, incident.grid) if z is not None)
    return {
        "service_request_id": str(incident.pk),
        "status": status,
        "status_notes": notes,
        "service_name": incident.event_type.name,
        "service_code": incident.event_type.code,
        "description": incident.description,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": w3c(incident.reported_at),
        "updated_datetime": w3c(incident.updated_at),
        "expected_datetime": w3c(incident.resolution_deadline),
        "address": incident.address or place,
        "address_id": None,
        "zipcode": None,
        "lat": round(incident.point.y, 7),
        "long": round(incident.point.x, 7),
        "media_url": media_url,
    }


def _xml_append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_append(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _xml_append(element, XML_ITEMS.get(name, "item"), item)
    else:
        element.text = _xml_text(value)


def to_xml(root: str, value) -> bytes:
    element = ET.Element(root)
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list):
        for item in items:
            _xml_append(element, XML_ITEMS[root], item)
    else:
        for key, item in value.items():
            _xml_append(element, key, item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def render(value, fmt: str, *, root: str) -> bytes:
    if fmt == "xml":
        return to_xml(root, value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode("utf-8")
