"""The API's two pagination styles, one DRF class each.

- `GeoJsonPagePagination` (`?page=&page_size=`): GeoJSON FeatureCollections whose pages carry
  `count`, `next` and `previous` (incident lists). The count stops at COUNT_CAP: with years of
  history an exact COUNT(*) costs more than the page itself, and exact totals are the KPI APIs'.
- `StartLimitPagination` (`?start=&limit=`): endpoints whose body keeps its own shape (a bare
  list of cases, the ledger's export document, its heads and check-ins), so the next and previous
  pages travel in an RFC 8288 `Link` header (`rel="next"`, `rel="prev"`), as GitHub's API does.
  The parameter names are the ones the ledger's clients already send (`start`, `limit`); a limit
  above the endpoint's maximum is cut to it, and a bad value is a 400 naming the parameter (DRF's
  own classes silently fall back to the default). It never counts: it reads one row more than
  the page to know whether a next page exists.

Before this module the ledger sliced by hand and the approvals case list stopped at 200 rows
with no way to reach the rest.
"""
from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework_gis.pagination import GeoJsonPagination

from .numbers import parse_number

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows (see the module docstring)."""

    @cached_property
    def count(self) -> int:
        return self.object_list[:COUNT_CAP + 1].count()


class GeoJsonPagePagination(GeoJsonPagination):
    """GeoJSON pages; `count` is exact up to COUNT_CAP, and `count_capped` says when it is not."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        capped = self.page.paginator.count > COUNT_CAP
        response.data["count"] = min(self.page.paginator.count, COUNT_CAP)
        response.data["count_capped"] = capped
        return response

    def get_paginated_response_schema(self, view):
        schema = super().get_paginated_response_schema(view)
        schema["properties"]["count_capped"] = {"type": "boolean"}
        return schema


class StartLimitPagination(LimitOffsetPagination):
    """`?start=&limit=` pages of a body that keeps its shape; links in the `Link` header.

    Pass `default_limit`/`max_limit` per endpoint; `paginate_queryset(queryset, request)` returns
    the page's rows, `link_header(response)` adds the links to the response. With `seek_field`
    (a gapless 0-based sequence such as the ledger's entry index) the page is found by
    `field >= start` on its index instead of an OFFSET that scans every row before it."""

    offset_query_param = "start"
    limit_query_param = "limit"
    default_limit = 100
    max_limit = 1000
    seek_field: str | None = None

    def __init__(self, *, default_limit: int | None = None, max_limit: int | None = None,
                 seek_field: str | None = None):
        if default_limit is not None:
            self.default_limit = default_limit
        if max_limit is not None:
            self.max_limit = max_limit
        if seek_field is not None:
            self.seek_field = seek_field

    def get_limit(self, request) -> int:
        limit = parse_number(request.query_params.get(self.limit_query_param), self.limit_query_param, low=1,
                             default=self.default_limit, whole=True)
        return min(limit, self.max_limit)

    def get_offset(self, request) -> int:
        return parse_number(request.query_params.get(self.offset_query_param), self.offset_query_param, low=0,
                            default=0, whole=True)

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        if self.seek_field:
            rows = list(queryset.filter(**{f"{self.seek_field}__gte": self.offset})[:self.limit + 1])
        else:
            rows = list(queryset[self.offset:self.offset + self.limit + 1])
        self.has_next = len(rows) > self.limit
        self.count = None
        return rows[:self.limit]

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_previous_link(self) -> str | None:
        if self.offset <= 0:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        if self.offset - self.limit <= 0:
            return remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.offset_query_param, self.offset - self.limit)

    def link_header(self, response):
        """Add `Link: <…>; rel="next", <…>; rel="prev"` for the pages that exist."""
        links = [f'<{url}>; rel="{rel}"' for url, rel in ((self.get_next_link(), "next"),
                                                          (self.get_previous_link(), "prev")) if url]
        if links:
            response["Link"] = ", ".join(links)
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.offset_query_param:
                parameter["description"] = "The index of the first row to return (0 = the first)."
        return parameters
