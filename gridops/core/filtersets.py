"""How every GridOps view runs a django-filter `FilterSet`: validate, then filter or answer 4xx.

One resource has one FilterSet (e.g. `gridops.incidents.filters.IncidentFilter`); its list API,
its vector tiles, its KPIs and its exports all call `filtered()` with the request's query string,
so a parameter means the same thing everywhere and a bad value is the same error everywhere:
`InvalidInput` (400) naming the parameter, in the API's one error shape. A FilterSet may also raise
a `GridOpsError` of its own while filtering (a well-formed code that names nothing is a 404).

`cache_key()` turns the validated values into a stable string for caches and ETags (the tile
server's), and `openapi_parameters()` documents the same filters in the OpenAPI schema, so the
parameter list is written once, on the FilterSet.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime

from django.db.models import QuerySet
from django_filters import FilterSet
from drf_spectacular.utils import OpenApiParameter

from .errors import InvalidInput


def as_data(params: Mapping | None) -> dict:
    """A query string (QueryDict: its last value per name) or a plain mapping, as a form's data."""
    if params is None:
        return {}
    if hasattr(params, "dict"):
        return params.dict()
    return dict(params)


def validated(filterset: FilterSet) -> dict:
    """The FilterSet's cleaned values; the first invalid parameter is an `InvalidInput` naming it."""
    return cleaned_form(filterset.form)


def cleaned_form(form) -> dict:
    """A Django form's cleaned values (query parameters that filter no queryset, such as an
    analysis window); the first invalid field is an `InvalidInput` naming it."""
    if not form.is_valid():
        field, errors = next(iter(form.errors.as_data().items()))
        error = errors[0]
        message = error.message % error.params if error.params else error.message
        if field == "__all__":
            raise InvalidInput(str(message))
        raise InvalidInput(f"{field}: {message}", field=field)
    return form.cleaned_data


def filtered(filterset: FilterSet) -> QuerySet:
    """The FilterSet's queryset after validation (see `validated`)."""
    validated(filterset)
    return filterset.qs


def _canonical(value) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(sorted(_canonical(item) for item in value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "wkt"):
        return value.wkt
    return str(value)


def cache_key(filterset: FilterSet) -> str:
    """The validated values as a stable string: the same filters in any order or spelling give the
    same key (the tile server puts it in the ETag and the cache key)."""
    cleaned = validated(filterset)
    return "|".join(f"{name}={_canonical(value)}" for name, value in sorted(cleaned.items())
                    if value not in (None, "", [], ()))


_KEYS: OrderedDict[tuple, str] = OrderedDict()
_KEYS_LOCK = threading.Lock()
KEYS_KEPT = 4096
_KEPT_QUERY_CHARS = 2000


def query_cache_key(filterset_class: type[FilterSet], params: Mapping, build: Callable[[], FilterSet]) -> str:
    """`cache_key(build())` for this query string, kept per process.

    The key is a function of the query string alone: cleaning a filter value reads neither the
    database, nor the clock, nor the caller (a code's existence, `days`' window and the caller's
    visibility apply when the queryset is filtered). Building a FilterSet and its form for every
    request was most of a warm tile's own time for the console, which asks its tiles with
    `?status=open`. A query string that does not validate is never kept: it raises every time.
    """
    # Every value of every name (a query string may repeat one), so the memo cannot merge two
    # query strings that some filter's widget would read differently.
    values = params.lists() if hasattr(params, "lists") else ((name, [value]) for name, value in params.items())
    data = {name: tuple(map(str, items)) for name, items in values}
    memo = (filterset_class, tuple(sorted(data.items())))
    with _KEYS_LOCK:
        key = _KEYS.get(memo)
        if key is not None:
            _KEYS.move_to_end(memo)
            return key
    key = cache_key(build())
    if sum(len(name) + sum(map(len, items)) for name, items in data.items()) <= _KEPT_QUERY_CHARS:
        with _KEYS_LOCK:
            _KEYS[memo] = key
            while len(_KEYS) > KEYS_KEPT:
                _KEYS.popitem(last=False)
    return key


def names_set(filterset_class: type[FilterSet], params: Mapping) -> set[str]:
    """The FilterSet's filters a query string sets (a parameter is one of them, or a suffixed part
    of one), known without building the FilterSet and its form."""
    names = filterset_class.base_filters
    return {name for key in params for name in names if key == name or key.startswith(name + "_")}


def names_no_filter(filterset_class: type[FilterSet], params: Mapping) -> bool:
    """Whether a query string leaves every filter of the FilterSet unset: then `cache_key` is ""
    and the queryset unfiltered, known without building the FilterSet and its form (a deep copy of
    every field: the largest part of a warm tile's cost in the throughput profile)."""
    return not names_set(filterset_class, params)


def openapi_parameters(filterset_class: type[FilterSet]) -> list[OpenApiParameter]:
    """The FilterSet's parameters for drf-spectacular, described by each filter's `help_text`."""
    return [OpenApiParameter(name, str, description=str(spec.extra.get("help_text", "")))
            for name, spec in filterset_class.base_filters.items()]
