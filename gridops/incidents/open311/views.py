"""Open311 GeoReport v2 endpoints: plain Django views that parse, call, and render.

Every failure is answered in Open311's own error shape with a 4xx status, in the format the
client asked for; the work itself happens in `selectors` (reads) and `incident_report` (writes).
"""
from __future__ import annotations

from functools import wraps

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from geodata.selectors import place_named_in
from gridops.core.errors import GridOpsError, InvalidInput, NotFound
from gridops.core.inputs import json_body
from gridops.core.ratelimit import over_limit
from gridops.core.refcache import reference_response

from ..models import Source
from ..services.intake import incident_report
from . import conf, keys, selectors, serializers
from .models import Open311Submission


def open311_view(methods: tuple[str, ...]):
    """Check the format and the method, and turn domain errors into Open311 errors.

    HEAD is answered wherever GET is: the GET answer's headers, without its body. Bad raw input
    (a NUL character, caught by `InputHygieneMiddleware` before the view) is answered in Open311's
    error shape too, through `render_input_error`.
    """
    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            fmt = (fmt or "").lower()
            if fmt not in serializers.FORMATS:
                return serializers.render_error(404, f"unsupported format {fmt!r}; use .json or .xml", "json")
            if request.method not in allowed:
                response = serializers.render_error(405, f"method {request.method} not allowed", fmt)
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                _check_jurisdiction(request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id"))
                response = view(request, *args, fmt=fmt, **kwargs)
            except GridOpsError as exc:
                response = serializers.render_error(exc.status, exc.message, fmt)
            if request.method == "HEAD":
                response["Content-Length"] = str(len(response.content))
                response.content = b""
            return response

        wrapper.render_input_error = _render_input_error
        return wrapper
    return decorate


def _render_input_error(exc: GridOpsError, view_kwargs: dict):
    fmt = str(view_kwargs.get("fmt", "")).lower()
    return serializers.render_error(exc.status, exc.message, fmt if fmt in serializers.FORMATS else "json")


def _check_jurisdiction(given) -> None:
    """GeoReport v2's optional `jurisdiction_id`: ours, or absent (query, form or JSON body)."""
    given = str(given or "").strip()
    if given and given != conf.jurisdiction_id():
        raise NotFound(f"jurisdiction_id {given!r} not found; this endpoint serves {conf.jurisdiction_id()}",
                       field="jurisdiction_id")


@open311_view(("GET",))
def discovery(request, fmt):
    """Where the endpoint is and what it speaks (GeoReport v2 service discovery).

    `changeset` is when the offered service definitions last changed (`EventType.updated_at`).
    """
    base = request.build_absolute_uri(reverse("open311-services", kwargs={"fmt": fmt})).rsplit("/", 1)[0] + "/"
    changed = serializers.w3c(selectors.changeset())
    body = {
        "changeset": changed,
        "contact": "禅城区城市综合管理指挥中心",
        "key_service": "API keys are issued by the district command centre (admin or manage.py open311_key).",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base,
            "changeset": changed,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    }
    return serializers.render(body, fmt, root="discovery")


@open311_view(("GET",))
def service_list(request, fmt):
    """Built once per catalogue version and language, then served from the cache with an ETag."""
    return reference_response(
        request, name=f"open311.services.{fmt}", version=selectors.changeset,
        build=lambda: serializers.render([serializers.service_dict(et) for et in selectors.services()], fmt,
                                         root="services"))


@open311_view(("GET",))
def service_definition(request, service_code, fmt):
    et = selectors.service(service_code)
    return serializers.render(serializers.service_definition(et), fmt, root="service_definition")


@open311_view(("GET", "POST"))
def request_list(request, fmt):
    if request.method == "POST":
        retry_after = over_limit("open311.post", "30/m", request)
        if retry_after is not None:
            response = serializers.render_error(429, f"too many requests; retry in {retry_after} s", fmt)
            response["Retry-After"] = str(retry_after)
            return response
        return _create(request, fmt)
    filters = serializers.filters_from(request.GET)
    page = selectors.requests_matching(filters, now=timezone.now())
    response = serializers.render_requests(page.rows, fmt, absolute_uri=request.build_absolute_uri)
    if page.has_more:
        # GeoReport v2 has no paging; a full list says more exist with an RFC 8288 Link header.
        query = request.GET.copy()
        query["page"] = str(filters.page + 1)
        response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'
    return response


@open311_view(("GET",))
def request_detail(request, service_request_id, fmt):
    row = selectors.public_request(service_request_id)
    return serializers.render_requests([row], fmt, absolute_uri=request.build_absolute_uri)


def _params(request) -> dict:
    """POST parameters: form-encoded as the spec says, or a JSON object for convenience (parsed by
    the same `json_body` as every API body: depth, size and NUL characters checked)."""
    if request.content_type == "application/json":
        data = json_body(request.body or b"{}", encoding=request.encoding or "utf-8")
        if not isinstance(data, dict):
            raise InvalidInput("the JSON body must be an object", field="body")
        params = {str(k): "" if v is None else str(v).strip() for k, v in data.items()}
        _check_jurisdiction(params.get("jurisdiction_id"))
        return params
    return {k: v.strip() for k, v in request.POST.items()}


def _media_url(value: str) -> str:
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise InvalidInput("media_url must be an http(s) URL", field="media_url") from None
    if len(value) > MEDIA_URL_MAX:
        raise InvalidInput(f"media_url may be at most {MEDIA_URL_MAX} characters", field="media_url")
    return value


MEDIA_URL_MAX = 2000


def _where(params: dict) -> tuple[str, str, float | None, bool]:
    """(long, lat, accuracy, located by address): the coordinates given, or the community named in
    `address_string` (our zones are the only gazetteer; see docs/open311.md)."""
    if params.get("lat") or params.get("long"):
        return params.get("long", ""), params.get("lat", ""), params.get("accuracy") or None, False
    address = params.get("address_string", "")
    if not address:
        raise InvalidInput("lat and long, or an address_string naming a community, are required", field="lat")
    place = place_named_in(address)
    if place is None:
        raise InvalidInput("address_string names no community or micro-grid of the district; send lat and long",
                           field="address_string")
    return str(place.lon), str(place.lat), min(round(place.radius_m), 100_000), True


def _create(request, fmt):
    params = _params(request)
    client = keys.client_for(params.get("api_key", ""))
    code = params.get("service_code", "")
    if not code:
        raise InvalidInput("service_code is required", field="service_code")
    if not selectors.services().filter(code=code).exists():
        raise InvalidInput(f"service_code {code!r} is not offered through Open311", field="service_code")
    media_url = _media_url(params.get("media_url", ""))
    lon, lat, accuracy, by_address = _where(params)
    name = " ".join(p for p in (params.get("last_name", ""), params.get("first_name", "")) if p)
    with transaction.atomic():
        incident, _ = incident_report(
            reporter=None, lon=lon, lat=lat, event_type=code, source=Source.OPEN311,
            description=params.get("description", ""), crs="wgs84" if by_address else params.get("crs") or "wgs84",
            accuracy_m=accuracy, reporter_name=name, reporter_phone=params.get("phone", ""),
            reporter_email=params.get("email", ""), address=params.get("address_string", ""),
        )
        Open311Submission.objects.create(incident=incident, key=client.key, client=client.name[:64],
                                         media_url=media_url, address_string=params.get("address_string", "")[:255],
                                         located_by_address=by_address)
    return serializers.render([serializers.created_dict(incident)], fmt, root="service_requests", status=201)
