"""KPI endpoints: parse the query, call `kpis.incident_kpis` (or `kpis.kpi_strip`), return its record."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from geodata.selectors import generation_asked
from gridops.core.filtersets import openapi_parameters, validated

from .. import kpis
from ..filters import IncidentFilter, KpiIncidentFilter
from .views import AuthenticatedView


GROUP_BY = OpenApiParameter("group_by", str, enum=list(kpis.GROUPINGS), description="Group the figures by this")
GENERATION = [
    OpenApiParameter("generation", int, description="With a zone group_by: the figures on this boundary generation's "
                     "zones (area-weighted crosswalk; fractional counts, medians null)"),
    OpenApiParameter("date", str, description="As generation: the one in force on this day (YYYY-MM-DD)"),
]


_METRICS = {
    "total": serializers.IntegerField(), "by_status": serializers.DictField(child=serializers.IntegerField()),
    "open": serializers.IntegerField(), "ever_dispatched": serializers.IntegerField(), "resolved_or_later": serializers.IntegerField(),
    "void": serializers.IntegerField(), "overdue_open": serializers.IntegerField(),
    "closure_rate": serializers.FloatField(allow_null=True), "on_time_rate": serializers.FloatField(allow_null=True),
    "response_on_time_rate": serializers.FloatField(allow_null=True),
    "median_dispatch_minutes": serializers.FloatField(allow_null=True),
    "median_resolve_hours": serializers.FloatField(allow_null=True),
}


class KpiView(AuthenticatedView):
    """Counts by status, 办结率, on-time rates and median times over the incidents the user may see."""

    @extend_schema(
        parameters=[*openapi_parameters(KpiIncidentFilter), GROUP_BY, *GENERATION],
        responses=inline_serializer("IncidentKpis", {
            "overall": inline_serializer("KpiMetrics", _METRICS),
            "groups": serializers.ListField(child=inline_serializer("KpiGroup", {
                "key": serializers.CharField(allow_null=True), "label": serializers.CharField(allow_null=True),
                **_METRICS})),
        }),
    )
    def get(self, request):
        params = request.query_params
        query = kpis.KpiQuery(group_by=params.get("group_by") or None, params=params,
                              generation=generation_asked(params))
        body = kpis.incident_kpis(request.user, query)
        body["filters"] = {name: value for name, value in params.items()
                           if value and (name in KpiIncidentFilter.base_filters or name == "group_by")}
        return Response(body)


class KpiStripView(APIView):
    """The console's strip: open, overdue and today's closure rate in the caller's jurisdiction
    (`?category=&priority=`, read as the incident list and tiles read them). The project's default
    authentication, as when it lived in the realtime app (anonymous: 403)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters = validated(IncidentFilter(request.query_params))
        return Response(kpis.kpi_strip(request.user, categories=filters["category"] or (),
                                       priorities=filters["priority"] or ()))
