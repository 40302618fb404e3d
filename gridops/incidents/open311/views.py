"""Open311 GeoReport v2 endpoints: plain Django views that parse, call, and render.

Every failure is answered in Open311's own error shape with a 4xx status, in the format the
client asked for; the work itself happens in `selectors` (reads) and `incident_report` (writes).
"""
from __future__ import annotations

import hmac
import json
from functools import wraps

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from gridops.core.errors import Forbidden, GridOpsError, InvalidInput, NotFound
from gridops.core.ratelimit import over_limit

from .. import services as incident_services
from ..models import Source
from . import conf, selectors, serializers


def open311_view(methods: tuple[str, ...]):
    """Check the format and the method, and turn domain errors into Open311 errors."""
    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            fmt = (fmt or "").lower()
            if fmt not in serializers.FORMATS:
                return serializers.render_error(404, f"unsupported format {fmt!r}; use .json or .xml", "json")
            if request.method not in methods:
                response = serializers.render_error(405, f"method {request.method} not allowed", fmt)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except GridOpsError as exc:
                return serializers.render_error(exc.status, exc.message, fmt)
        return wrapper
    return decorate


def _check_jurisdiction(request) -> None:
    given = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    if given and given != conf.jurisdiction_id():
        raise NotFound(f"jurisdiction_id {given!r} not found; this endpoint serves {conf.jurisdiction_id()}")


@open311_view(("GET",))
def discovery(request, fmt):
    """Where the endpoint is and what it speaks (GeoReport v2 service discovery)."""
    base = request.build_absolute_uri(reverse("open311-services", kwargs={"fmt": fmt})).rsplit("/", 1)[0] + "/"
    body = {
        "changeset": timezone.now().date().isoformat(),
        "contact": "禅城区城市综合管理指挥中心",
        "key_service": "API keys are issued by the district command centre.",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base,
            "changeset": timezone.now().date().isoformat(),
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    }
    return serializers.render(body, fmt, root="discovery")


@open311_view(("GET",))
def service_list(request, fmt):
    return serializers.render([serializers.service_dict(et) for et in selectors.services()], fmt, root="services")


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
    incidents = selectors.requests_matching(filters, now=timezone.now())
    body = [serializers.request_dict(i, absolute_uri=request.build_absolute_uri) for i in incidents]
    return serializers.render(body, fmt, root="service_requests")


@open311_view(("GET",))
def request_detail(request, service_request_id, fmt):
    incident = selectors.public_request(service_request_id)
    body = [serializers.request_dict(incident, absolute_uri=request.build_absolute_uri)]
    return serializers.render(body, fmt, root="service_requests")


def _params(request) -> dict:
    """POST parameters: form-encoded as the spec says, or a JSON object for convenience."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise InvalidInput("the body is not valid JSON", field="body") from None
        if not isinstance(data, dict):
            raise InvalidInput("the JSON body must be an object", field="body")
        return {k: "" if v is None else str(v) for k, v in data.items()}
    return {k: v.strip() for k, v in request.POST.items()}


def _api_client(key: str) -> str:
    if not key:
        raise InvalidInput("api_key is required to submit a request", field="api_key")
    for known, client in conf.api_keys().items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return client or "open311"
    raise Forbidden("api_key is invalid", field="api_key")


def _create(request, fmt):
    params = _params(request)
    client = _api_client(params.get("api_key", ""))
    code = params.get("service_code", "")
    if not code:
        raise InvalidInput("service_code is required", field="service_code")
    if not selectors.services().filter(code=code).exists():
        raise InvalidInput(f"service_code {code!r} not found", field="service_code")
    if not params.get("lat") or not params.get("long"):
        raise InvalidInput("lat and long are required (address_string alone cannot be located)", field="lat")
    name = " ".join(p for p in (params.get("last_name", ""), params.get("first_name", "")) if p)
    description = params.get("description", "")
    if params.get("media_url"):
        description = f"{description}\n[media_url] {params['media_url']}".strip()
    description += f"\n[via Open311: {client}]"
    with transaction.atomic():
        incident, _ = incident_services.incident_report(
            reporter=None, lon=params["long"], lat=params["lat"], event_type=code, source=Source.OPEN311,
            description=description, crs=params.get("crs") or "wgs84", accuracy_m=params.get("accuracy") or None,
            reporter_name=name, reporter_phone=params.get("phone", ""), reporter_email=params.get("email", ""),
            address=params.get("address_string", ""),
        )
    return serializers.render([serializers.created_dict(incident)], fmt, root="service_requests", status=201)
