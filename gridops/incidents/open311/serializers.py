"""Open311 representations: our objects as GeoReport v2 dicts, and dicts as JSON or XML.

The same dict renders to both formats, so the two can never disagree; list element names follow
the spec's XML (`services/service`, `service_requests/request`, `errors/error`).
"""
from __future__ import annotations

import json
from datetime import date, datetime, time
from xml.etree import ElementTree as ET

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from gridops.core.errors import InvalidInput

from ..models import OPEN_STATUSES, EventType, Incident, IncidentPhoto, Priority, Status
from .selectors import CLOSED, OPEN, RequestFilters

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Where incident photos are stored (their URL is built from the stored name, as FieldFile.url does).
PHOTO_STORAGE = IncidentPhoto._meta.get_field("file").storage
# Names of list items in XML, by the list's own element name.
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
             "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


# --- our objects → GeoReport v2 dicts ----------------------------------------------------------

def w3c(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _hours(value: float) -> str:
    return f"{value:g}"


def service_dict(et: EventType) -> dict:
    """One entry of services.json: code, name, the group (category) and search keywords."""
    priority = str(Priority(et.priority).label)
    description = (f"{et.category.name}·{et.name}：由{et.department.name}处置，{priority}，"
                   f"{_hours(et.response_hours)}小时内响应，{_hours(et.resolution_hours)}小时内办结")
    if et.emergency:
        description += "；紧急事件同时报区指挥中心"
    return {
        "service_code": et.code,
        "service_name": et.name,
        "description": description,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(k for k in et.keywords.split(";") if k),
        "group": et.category.name,
    }


def service_definition(et: EventType) -> dict:
    """Our services take no extra attributes (metadata false): the definition lists none."""
    return {"service_code": et.code, "attributes": []}


def _status(incident: Incident) -> tuple[str, str]:
    notes = str(Status(incident.status).label)
    if incident.merged_into_id:
        notes += f"（已合并至 {incident.merged_into_id}）"
    return (OPEN if incident.status in OPEN_STATUSES else CLOSED), notes


def request_dict(incident: Incident, *, absolute_uri) -> dict:
    """One service request; reporters' personal data never leaves through Open311."""
    status, notes = _status(incident)
    agency = incident.department.name if incident.department_id else (
        incident.command_centre.name if incident.command_centre_id else "")
    submission = open311_submission(incident)
    photo = incident.first_photo_file  # annotated by `selectors.public_requests`
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


def open311_submission(incident: Incident):
    """What the Open311 client sent beside the incident, or None for other intake channels."""
    try:
        return incident.open311
    except ObjectDoesNotExist:
        return None


def created_dict(incident: Incident) -> dict:
    """The answer to POST requests: the id, and what happens next in the reporter's words."""
    agency = incident.department.name if incident.department_id else "区指挥中心"
    notice = f"已受理，由{agency}处置，预计{w3c(incident.resolution_deadline)}前办结"
    return {"service_request_id": str(incident.pk), "service_notice": notice, "account_id": None}


# --- query strings → filters -------------------------------------------------------------------

def _datetime(text: str, field: str) -> datetime:
    """A W3C datetime (or a bare date, meaning its midnight); a '+' sent unencoded arrives as ' '."""
    text = text.strip().replace(" ", "+")
    try:
        value = parse_datetime(text) if "T" in text else None
        if value is None and "T" not in text and (day := parse_date(text)) is not None:
            value = datetime.combine(day, time.min)
    except ValueError:
        value = None
    if value is None:
        raise InvalidInput(f"{field} must be a W3C datetime such as 2024-06-01T00:00:00+08:00", field=field)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _csv(text: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())


def filters_from(query) -> RequestFilters:
    """Parse GET requests parameters; every bad value is a 400 naming its parameter."""
    ids = []
    for item in _csv(query.get("service_request_id")):
        if not item.isdigit():
            raise InvalidInput(f"service_request_id {item!r} is not a request id", field="service_request_id")
        ids.append(int(item))
    statuses = tuple(s.lower() for s in _csv(query.get("status")))
    for status in statuses:
        if status not in (OPEN, CLOSED):
            raise InvalidInput(f"status must be open or closed, got {status!r}", field="status")
    start = _datetime(query["start_date"], "start_date") if query.get("start_date") else None
    end = _datetime(query["end_date"], "end_date") if query.get("end_date") else None
    return RequestFilters(ids=tuple(ids), service_codes=_csv(query.get("service_code")), start=start, end=end,
                          statuses=statuses, page=_page_number(query.get("page")))


MAX_PAGE = 100_000


def _page_number(text: str | None) -> int:
    """`page` (1-based; our extension, announced by the Link header): a list stops at
    `max_requests` and the next page says what follows."""
    if text in (None, ""):
        return 1
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidInput(f"page must be a whole number from 1 to {MAX_PAGE}", field="page")
    return int(text)


# --- dicts → JSON / XML ------------------------------------------------------------------------

def _xml_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


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
    """`root` is a list name (services, service_requests, errors) or a single element's name."""
    element = ET.Element(root)
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list):
        for item in items:
            _xml_append(element, XML_ITEMS[root], item)
    else:
        for key, item in value.items():
            _xml_append(element, key, item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def render(value, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = to_xml(root, value)
    else:
        # DjangoJSONEncoder: status labels are lazy translations (rendered in the request's language)
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode("utf-8")
    return HttpResponse(body, status=status, content_type=FORMATS.get(fmt, FORMATS["json"]))


def render_error(status: int, description: str, fmt: str) -> HttpResponse:
    """GeoReport v2 errors: `[{"code": 400, "description": "..."}]`, or `<errors><error>` in XML."""
    return render([{"code": status, "description": description}], fmt, root="errors", status=status)
