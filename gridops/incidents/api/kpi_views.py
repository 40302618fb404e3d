"""KPI endpoints: parse the query, call `kpis.incident_kpis` (or `kpis.kpi_strip`), return its record."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import kpis
from .views import AuthenticatedView


class KpiQuerySerializer(serializers.Serializer):
    zone = serializers.CharField(required=False, max_length=17, help_text="Zone code at any level (town, area, village, grid).")
    department = serializers.CharField(required=False, max_length=32, help_text="Department code, e.g. chengguan.")
    category = serializers.CharField(required=False, max_length=16, help_text="Category code, e.g. 11.")
    start = serializers.DateField(required=False, help_text="Reported on or after this day.")
    end = serializers.DateField(required=False, help_text="Reported on or before this day.")
    group_by = serializers.ChoiceField(required=False, choices=list(kpis.GROUPINGS))


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
        parameters=[KpiQuerySerializer],
        responses=inline_serializer("IncidentKpis", {
            "overall": inline_serializer("KpiMetrics", _METRICS),
            "groups": serializers.ListField(child=inline_serializer("KpiGroup", {
                "key": serializers.CharField(allow_null=True), "label": serializers.CharField(allow_null=True),
                **_METRICS})),
        }),
    )
    def get(self, request):
        params = KpiQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = kpis.KpiQuery(**params.validated_data)
        body = kpis.incident_kpis(request.user, query)
        body["filters"] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.validated_data.items()}
        return Response(body)


class KpiStripView(APIView):
    """The console's strip: open, overdue and today's closure rate in the caller's jurisdiction
    (`?category=&priority=`, read as the incident list and tiles read them). The project's default
    authentication, as when it lived in the realtime app (anonymous: 403)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        from geodata.tiles import IncidentFilters

        filters = IncidentFilters.parse(request.query_params)
        return Response(kpis.kpi_strip(request.user, categories=filters.categories, priorities=filters.priorities))
