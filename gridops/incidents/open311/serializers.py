"""Open311 representations: our objects as GeoReport v2 dicts, and dicts as JSON or XML.

The same dict renders to both formats, so the two can never disagree; list element names follow
the spec's XML (`services/service`, `service_requests/request`, `errors/error`).
"""
from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language

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


def request_dicts(rows, *, absolute_uri) -> list[dict]:
    """Service requests from the feed's rows (`selectors.FEED_COLUMNS`); reporters' personal data
    never leaves through Open311 (it is not even selected).

    A page holds up to 1000 requests, so this is a tight loop over plain tuples: status labels are
    looked up once per call (in the request's language), the offsets once per process.
    """
    labels = {value: str(label) for value, label in Status.choices}
    open_statuses = frozenset(str(s.value) for s in OPEN_STATUSES)
    offset = _utc_offset
    items = []
    for (pk, status, merged_into, service_name, service_code, description, department, centre,
         requested, requested_offset, updated, updated_offset, expected, expected_offset,
         address, town, grid, lat, long, submitted_media, photo) in rows:
        notes = labels[status] if not merged_into else f"{labels[status]}（已合并至 {merged_into}）"
        items.append({
            "service_request_id": str(pk),
            "status": OPEN if status in open_statuses else CLOSED,
            "status_notes": notes,
            "service_name": service_name,
            "service_code": service_code,
            "description": description,
            "agency_responsible": department if department is not None else (centre if centre is not None else ""),
            "service_notice": None,
            "requested_datetime": requested and requested + offset(requested_offset),
            "updated_datetime": updated and updated + offset(updated_offset),
            "expected_datetime": expected and expected + offset(expected_offset),
            "address": address or (town + (grid if grid is not None else "")),
            "address_id": None,
            "zipcode": None,
            "lat": round(lat, 7),
            "long": round(long, 7),
            "media_url": submitted_media or (absolute_uri(PHOTO_STORAGE.url(photo)) if photo else None),
        })
    return items


@functools.cache
def _utc_offset(seconds: int) -> str:
    """An offset as `datetime.isoformat` writes it: +08:00 (and +08:05:43 for local mean time)."""
    return datetime(2000, 1, 1, tzinfo=dt_timezone(timedelta(seconds=seconds))).isoformat()[19:]


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


XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def _escape(text: str) -> str:
    """Character data escaped as ElementTree escapes it (&, <, >; quotes and newlines as they are)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _xml_element(out: list[str], name: str, value) -> None:
    """Append `<name>…</name>` (or `<name />` when empty) for a dict, a list or a scalar."""
    if isinstance(value, dict):
        if not value:
            out.append(f"<{name} />")
            return
        out.append(f"<{name}>")
        for key, item in value.items():
            # The scalar cases inlined: a feed page has ~17,000 such fields.
            if item is None:
                out.append(f"<{key} />")
            elif isinstance(item, str):
                out.append(f"<{key}>{_escape(item)}</{key}>" if item else f"<{key} />")
            else:
                _xml_element(out, key, item)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        _xml_list(out, name, XML_ITEMS.get(name, "item"), value)
    else:
        text = _xml_text(value)
        out.append(f"<{name}>{_escape(text)}</{name}>" if text else f"<{name} />")


def _xml_list(out: list[str], name: str, item_name: str, items: list) -> None:
    if not items:
        out.append(f"<{name} />")
        return
    out.append(f"<{name}>")
    for item in items:
        _xml_element(out, item_name, item)
    out.append(f"</{name}>")


def to_xml(root: str, value) -> bytes:
    """`root` is a list name (services, service_requests, errors) or a single element's name.

    Written as strings, byte for byte what `ElementTree.tostring` wrote before (empty elements as
    `<name />`, no declaration of its own): building a tree of 17,000 elements for a feed page and
    serialising it cost more than the rest of the GET.
    """
    out = [XML_DECLARATION]
    if isinstance(value, list):
        _xml_list(out, root, XML_ITEMS[root], value)
    else:
        _xml_element(out, root, value)
    return "".join(out).encode("utf-8", "xmlcharrefreplace")


# DjangoJSONEncoder: status labels are lazy translations (rendered in the request's language).
# One instance: `json.dumps(..., cls=...)` built an encoder per call, once per feed entry.
_JSON = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(value) -> str:
    return _JSON.encode(value)


def render(value, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    body = to_xml(root, value) if fmt == "xml" else _json(value).encode("utf-8")
    return HttpResponse(body, status=status, content_type=FORMATS.get(fmt, FORMATS["json"]))


# Each service request's text in a format, by (format, language, zone, site, photo URL base, feed row).
# The row holds every value the entry is made of, so an entry is never stale: a changed incident
# (or a renamed department, a new photo) is another row. Bounded: cleared when full; a full
# default feed in both formats is 2000 entries, ~3 kB each with their keys (at most ~18 MB).
_ENTRIES: dict[tuple, str] = {}
ENTRIES_MAX = 6000


def render_requests(rows: list[tuple], fmt: str, *, absolute_uri) -> HttpResponse:
    """GET requests (list or detail): `render(request_dicts(rows), fmt, root="service_requests")`
    byte for byte, each entry rendered once per process and then reused (a feed page is up to 1000
    entries, and most are unchanged between two GETs)."""
    context = (fmt, get_language(), timezone.get_current_timezone_name(), absolute_uri("/"), PHOTO_STORAGE.base_url)
    texts = [_ENTRIES.get((context, row)) for row in rows]
    missing = [i for i, text in enumerate(texts) if text is None]
    if missing:
        if len(_ENTRIES) + len(missing) > ENTRIES_MAX:
            _ENTRIES.clear()
        items = request_dicts([rows[i] for i in missing], absolute_uri=absolute_uri)
        for i, item in zip(missing, items):
            texts[i] = _ENTRIES[(context, rows[i])] = _entry_text(item, fmt)
    if fmt == "xml":
        inner = f"<service_requests>{''.join(texts)}</service_requests>" if texts else "<service_requests />"
        body = (XML_DECLARATION + inner).encode("utf-8", "xmlcharrefreplace")
    else:
        body = f"[{','.join(texts)}]".encode("utf-8")
    return HttpResponse(body, content_type=FORMATS[fmt])


def _entry_text(item: dict, fmt: str) -> str:
    if fmt == "json":
        return _json(item)
    out: list[str] = []
    _xml_element(out, XML_ITEMS["service_requests"], item)
    return "".join(out)


def render_error(status: int, description: str, fmt: str) -> HttpResponse:
    """GeoReport v2 errors: `[{"code": 400, "description": "..."}]`, or `<errors><error>` in XML."""
    return render([{"code": status, "description": description}], fmt, root="errors", status=status)
