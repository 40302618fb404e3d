"""One exception hierarchy for GridOps domains, and the one place that turns errors into JSON.

Every error response has the shape ``{"error": {"code", "message", "field"}}`` so that tablets,
the console and Open311 clients can show a precise message (pygeoapi's errors-carry-status idea).
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from .i18n import localized_message


class GridOpsError(Exception):
    """Base of every domain error; subclasses set the HTTP status and a stable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict:
        body = error_body(self.code, self.message, self.field)
        body["error"].update(self.extra)
        return body


class InvalidInput(GridOpsError):
    status = 400
    code = "invalid"


class NotAuthenticated(GridOpsError):
    status = 401
    code = "not_authenticated"


class Forbidden(GridOpsError):
    status = 403
    code = "forbidden"


class NotFound(GridOpsError):
    status = 404
    code = "not_found"


class Conflict(GridOpsError):
    status = 409
    code = "conflict"


class PayloadTooLarge(GridOpsError):
    status = 413
    code = "too_large"


class UnsupportedMedia(GridOpsError):
    status = 415
    code = "unsupported_media_type"


class ServiceUnavailable(GridOpsError):
    status = 503
    code = "unavailable"


def error_body(code: str, message: str, field: str | None = None) -> dict:
    """The error shape, its message in the request's language (see `core.i18n`)."""
    return {"error": {"code": code, "message": localized_message(code, message, field), "field": field}}


def error_response(exc: GridOpsError) -> JsonResponse:
    """For plain Django views (the same JSON as the DRF handler)."""
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


def _first_validation_error(detail, prefix: str = "") -> tuple[str | None, str]:
    """Flatten DRF's nested ValidationError detail into (field path, first message).

    Paths read like the body: `moves[1].to` (a `many=True` serializer reports one entry per item,
    empty for the valid ones; a ListField reports a dict keyed by the item's index).
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            if not value:
                continue
            if key in ("non_field_errors", "__all__"):
                name = prefix
            elif isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            return _first_validation_error(value, name)
    if isinstance(detail, list) and detail:
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                if item:
                    return _first_validation_error(item, f"{prefix}[{index}]")
            else:
                return (prefix or None), str(item)
    return (prefix or None), str(detail)


def api_exception_handler(exc, context):
    """DRF exception handler: domain errors, DRF errors and Django's 404/403 in one shape."""
    # Imported here: rest_framework.views loads the authentication classes, which import this module.
    from rest_framework.views import exception_handler as drf_default_handler

    if isinstance(exc, GridOpsError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_default_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        field, message = _first_validation_error(exc.detail)
        body = error_body("invalid", message, field)
        body["error"]["details"] = exc.detail
    else:
        code = getattr(exc, "default_code", "error")
        body = error_body(code, str(getattr(exc, "detail", exc)))
    response.data = body
    return response


# --- errors answered by Django or a plain view, in the caller's shape -------------------------

# Paths read by programs: every error there is JSON in the error shape (Open311's in its own).
API_PREFIXES = ("/api/", "/tiles/")
OPEN311_PREFIX = "/open311/"
_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type", 429: "throttled"}
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


class MachineErrorShapeMiddleware:
    """Errors that Django or a plain view answered in HTML on a machine-read path (a 404 for a
    path no route matches, a 405 from `require_GET`, a CSRF 403, a 500) are answered in the error
    shape instead, so an API client never has to parse an HTML page. Pages keep Django's HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or getattr(response, "streaming", False):
            return response
        content_type = response.get("Content-Type", "")
        if "json" in content_type or (request.path.startswith(OPEN311_PREFIX) and "xml" in content_type):
            return response
        status = response.status_code
        message = f"{request.method} {request.path}: {response.reason_phrase or 'error'}"
        if request.path.startswith(OPEN311_PREFIX):
            shaped = JsonResponse([{"code": status, "description": message}], status=status, safe=False,
                                  json_dumps_params={"ensure_ascii": False})
        elif request.path.startswith(API_PREFIXES):
            shaped = JsonResponse(error_body(_CODES.get(status, "error"), message), status=status,
                                  json_dumps_params={"ensure_ascii": False})
        else:
            return response
        for header in _KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped
