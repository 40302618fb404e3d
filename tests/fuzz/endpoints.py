"""Every route of the app, read from the URL resolver, with the values that reach its code.

New routes are covered by the fuzzers without anyone listing them: path parameters get a value
of the shared world when their name and route say which (`_real_value`), a harmless one otherwise;
write methods come from the view class (DRF) or are tried (plain views); the body fields each
operation documents come from the OpenAPI schema.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver

# Django's own admin, the language switch and the schema/docs pages are not ours to fuzz.
SKIPPED_PREFIXES = ("admin/", "i18n/", "api/schema/", "api/docs/", "media/", "static/")
WRITE_METHODS = ("post", "put", "patch", "delete")
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Endpoint:
    route: str                      # as written in urls.py, e.g. "api/v1/incidents/<int:pk>/"
    name: str | None
    params: tuple[tuple[str, str], ...]  # (name, converter)
    methods: tuple[str, ...]        # write methods to fuzz
    view: object = field(compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.route or "/"

    def path(self, world, **overrides) -> str:
        """The route with every parameter filled (overrides are put in as given, unquoted)."""
        def fill(match):
            name = match["name"]
            if name in overrides:
                return overrides[name]
            return str(_real_value(self, name, match["converter"] or "str", world))
        return "/" + _PARAM.sub(fill, self.route)

    @property
    def kind(self) -> str:
        if self.route.startswith("open311/"):
            return "open311"
        if self.route.startswith(("api/", "tiles/")):
            return "api"
        return "page"


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _write_methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF router's route of a ViewSet: its method → action table
        return tuple(m for m in WRITE_METHODS if m in actions)
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is None:
        return ("post",)  # a plain view: a POST is what a client would try
    return tuple(m for m in WRITE_METHODS if hasattr(cls, m))


@cache
def endpoints() -> tuple[Endpoint, ...]:
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("^") or "(?P" in route:
            continue
        params = tuple((m["name"], m["converter"] or "str") for m in _PARAM.finditer(route))
        found.append(Endpoint(route, pattern.name, params, _write_methods(pattern.callback), pattern.callback))
    return tuple(found)


def write_endpoints() -> list[tuple[Endpoint, str]]:
    return [(e, m) for e in endpoints() for m in e.methods]


def parameterised_endpoints() -> list[tuple[Endpoint, str]]:
    return [(e, name) for e in endpoints() for name, _ in e.params]


# --- real values from tests/security/world.py and tests/fuzz/conftest.py ---------------------------

class NoRealValue(LookupError):
    """A route's parameter this table does not know: a new route must say which object of the
    world its parameter names, or the fuzzers would only ever meet its 404."""


def _real_value(endpoint: Endpoint, name: str, converter: str, world):
    route = endpoint.route
    by_route = (  # (route fragment, parameter) → the world's object, for names several apps share
        ("emergencies/tasks/<int:pk>", "pk", lambda: world["emergency_task"].pk),
        ("emergencies/<int:pk>", "pk", lambda: world["emergency"].pk),
        ("emergencies/shelters/<str:code>", "code", lambda: world["shelter"].code),
        ("foresight/warnings/<int:pk>", "pk", lambda: world["warning"].pk),
    )
    for fragment, param, value in by_route:
        if fragment in route and param == name:
            return value()
    by_name = {
        "service_code": lambda: world["event_type"].code,
        "service_request_id": lambda: world["incident"].pk,
        "number": lambda: world["case"].number,
        "index": lambda: world["notary_entry"].index,
        "layer": lambda: "incidents",
        "z": lambda: 14, "x": lambda: 13336, "y": lambda: 7112,
        "view": lambda: "schools",
        "cid": lambda: "incidents", "feature_id": lambda: world["incident"].pk, "tms": lambda: "WebMercatorQuad",
    }
    if name in by_name:
        return by_name[name]()
    if name == "fmt":
        return "json" if route.startswith("open311/") else ("svg" if "qr" in route else "geojson")
    if name == "pk":
        for word, key in (("incidents", "incident"), ("tickets", "ticket"), ("counters", "counter"), ("plans", "plan")):
            if f"/{word}/" in "/" + route:
                return world[key].pk
    if name == "code":
        if "halls" in route:
            return world["hall"].code
        if "vendors" in route:
            return world["vendor"].code
        if "items" in route:
            return world["item"].code
        if "schools" in route:
            return world["school"].code
        if "zones" in route or "screen" in route:
            return "44060410101001001"
    raise NoRealValue(f"route {route!r}: no real value for <{converter}:{name}>; add one to _real_value")


# --- body fields from the OpenAPI schema ---------------------------------------------------------

GENERIC_FIELDS = ("name", "code", "lon", "lat", "description", "status", "id", "items", "event_type", "to")


@cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _template(route: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", "/" + _PARAM.sub("{}", route))


def body_fields(endpoint: Endpoint, method: str) -> tuple[str, ...]:
    """The property names the schema documents for this operation's body (or a generic set)."""
    schema = _schema()
    for path, operations in schema.get("paths", {}).items():
        if _template(path.lstrip("/")) != _template(endpoint.route):
            continue
        body = operations.get(method, {}).get("requestBody", {}).get("content", {})
        for media in body.values():
            properties = _resolve(media.get("schema", {}), schema).get("properties", {})
            if properties:
                return tuple(properties)
    return GENERIC_FIELDS


def _resolve(node: dict, schema: dict) -> dict:
    ref = node.get("$ref")
    if ref:
        node = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    if node.get("type") == "array":
        return _resolve(node.get("items", {}), schema)
    return node
