"""The one place where raw request input is checked before any view or serializer sees it.

Two kinds of input used to reach the database or the interpreter's limits and answer 500:
- a NUL character (PostgreSQL text cannot hold one; psycopg2 raises ValueError), in a path
  parameter, a query parameter, a form field or a JSON string or key;
- JSON nested deeper than Python's recursion limit (`RecursionError`), or deep enough that later
  code walking it (serializers, error messages) would hit that limit.

`json_body` parses every JSON request body (the DRF parser in `gridops.core.parsers` and the plain
Django views that take JSON both call it); `InputHygieneMiddleware` checks path, query and form
input. Both raise or answer `InvalidInput` naming the field.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError

from .errors import InvalidInput, PayloadTooLarge, error_response

NUL = "\x00"


def max_json_depth() -> int:
    """Deepest nesting of arrays/objects a JSON body may have. GeoJSON MultiPolygons inside a
    FeatureCollection need 7; anything near Python's recursion limit is an attack, not data."""
    return int(getattr(settings, "GRIDOPS_MAX_JSON_DEPTH", 32))


def max_json_bytes() -> int:
    """The largest JSON body read (Django's own limit for request bodies)."""
    return int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 2_621_440)


def _strict_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_body(raw: bytes | str, *, encoding: str = "utf-8"):
    """Parse a request body as JSON; every problem is an `InvalidInput` naming the field."""
    if raw is None or len(raw) == 0:
        raise InvalidInput("the body is empty; send a JSON value", field="body")
    if len(raw) > max_json_bytes():
        raise PayloadTooLarge(f"the body is larger than {max_json_bytes()} bytes", field="body")
    try:
        text = raw.decode(encoding) if isinstance(raw, bytes) else raw
    except (UnicodeDecodeError, LookupError):
        raise InvalidInput(f"the body is not valid {encoding} text", field="body") from None
    try:
        data = json.loads(text, parse_constant=_strict_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}", field="body") from None
    check_json_value(data)
    return data


def _too_deep() -> InvalidInput:
    return InvalidInput(f"the JSON body is nested more than {max_json_depth()} levels deep", field="body",
                        code="too_deep")


def check_json_value(data) -> None:
    """Refuse nesting beyond `max_json_depth` and NUL characters in any key or string.

    Walks iteratively (a recursive walk would itself hit the limit it is enforcing); the field
    named in the error is the path to the value, e.g. `moves[0].to`.
    """
    limit = max_json_depth()
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                raise nul_error(path or "body")
            continue
        if isinstance(value, dict):
            items: Iterable = value.items()
        elif isinstance(value, list):
            items = ((f"[{i}]", item) for i, item in enumerate(value))
        else:
            continue
        if depth >= limit:
            raise _too_deep()
        for key, item in items:
            if isinstance(value, dict):
                if NUL in key:
                    raise nul_error(f"{path}.{key}".lstrip(".").replace(NUL, "\\x00"))
                child = f"{path}.{key}" if path else key
            else:
                child = f"{path}{key}" if path else f"body{key}"
            stack.append((item, child, depth + 1))


def nul_error(field: str) -> InvalidInput:
    return InvalidInput(f"{field} contains a NUL character (\\x00), which no field may hold", field=field,
                        code="nul_character")


def check_pairs(pairs: Iterable[tuple[str, object]]) -> None:
    """Query or form parameters (and path parameters) as (name, value) pairs."""
    for name, value in pairs:
        if NUL in str(name):
            raise nul_error(str(name).replace(NUL, "\\x00"))
        if isinstance(value, str) and NUL in value:
            raise nul_error(str(name))


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputHygieneMiddleware:
    """Path, query and form input without NUL characters, before any view runs.

    A view may answer the error in its own protocol's shape (Open311) by carrying
    `render_input_error(exc, view_kwargs)`; every other view gets `{"error": {...}}`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            check_pairs((name, value) for name, value in view_kwargs.items())
            check_pairs(_multi_items(request.GET))
            if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.content_type in FORM_TYPES:
                check_pairs(_multi_items(request.POST))
                check_pairs((name, upload.name) for name, upload in _multi_items(request.FILES))
        except InvalidInput as exc:
            return _render(exc, view_func, view_kwargs)
        except RequestDataTooBig:
            return _render(PayloadTooLarge("the form body is too large", field="body"), view_func, view_kwargs)
        except (MultiPartParserError, SuspiciousOperation) as exc:
            return _render(InvalidInput(f"the form body cannot be read: {exc}", field="body"), view_func, view_kwargs)
        return None


def _multi_items(query) -> Iterable[tuple[str, object]]:
    for name in query:
        for value in query.getlist(name):
            yield name, value


def _render(exc, view_func, view_kwargs):
    renderer = getattr(view_func, "render_input_error", None)
    if renderer is not None:
        return renderer(exc, view_kwargs)
    return error_response(exc)
