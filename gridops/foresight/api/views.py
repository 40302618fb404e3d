"""Foresight API (预判): hot spots, emerging hot spots, next week's forecast, the heat map and
early warnings, each within the caller's jurisdiction. Views only read parameters and shape
answers; the statistics live in `analysis`, the rules of reach in `selectors`."""
from __future__ import annotations

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gridops.core.errors import Forbidden, NotAuthenticated, NotFound
from gridops.core.filtersets import filtered, openapi_parameters
from gridops.incidents.filters import IncidentFilter
from gridops.incidents.selectors import incidents_visible_to

from .. import analysis, selectors, services
from ..models import EarlyWarning
from .geojson import grid_features
from .params import AnalysisForm, analysis_params

HEAT_DEFAULT_DAYS = 30
ANALYSIS_PARAMETERS = [OpenApiParameter(name, str, description=str(field.help_text))
                       for name, field in AnalysisForm.base_fields.items()]


def require_analyst(user) -> None:
    if not user.is_authenticated:
        raise NotAuthenticated("sign in to use foresight")
    if not selectors.may_use_foresight(user):
        raise Forbidden("foresight is for command-centre operators")


class GridAnalysisView(APIView):
    """One micro-grid feature per grid the caller may see, with `properties(result, row)`, and
    the analysed window (`since`, `until`) beside the features."""

    analyse = None  # analysis function taking the parsed parameters

    def properties(self, result, row) -> dict:
        raise NotImplementedError

    @extend_schema(parameters=ANALYSIS_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        require_analyst(request.user)
        result = type(self).analyse(**analysis_params(request.query_params))
        mask = selectors.visible_grid_mask(request.user, result["grids"])
        body = grid_features(result["grids"], mask, lambda row: self.properties(result, row))
        return Response({**body, "since": result["since"], "until": result["until"]})


class HotSpotsView(GridAnalysisView):
    """Getis-Ord Gi* per micro-grid over the window: z, two-sided p and the confidence bin
    (±3/±2/±1 = 99/95/90 %), as GeoJSON."""

    analyse = staticmethod(analysis.hot_spots)

    def properties(self, result, row) -> dict:
        return {"count": int(result["counts"][row]), "z": round(float(result["z"][row]), 3),
                "p": round(float(result["p"][row]), 4), "bin": int(result["bins"][row])}


class EmergingView(GridAnalysisView):
    """Each micro-grid's emerging hot/cold-spot pattern over the weekly Gi* analyses of the window."""

    analyse = staticmethod(analysis.emerging_hot_spots)

    def properties(self, result, row) -> dict:
        return {"hot": result["hot"][row], "cold": result["cold"][row], "tau": round(float(result["tau"][row]), 3),
                "count": int(result["counts"][row])}


class ForecastView(APIView):
    """Expected incidents per micro-grid for the week holding `until` (this week by default), the
    method used and its backtest against the seasonal-naive forecast."""

    @extend_schema(parameters=ANALYSIS_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        require_analyst(request.user)
        params = analysis_params(request.query_params)
        result = analysis.next_week(category_id=params["category_id"], until=params["until"])
        mask = selectors.visible_grid_mask(request.user, result["grids"])
        body = grid_features(result["grids"], mask, lambda row: {
            "expected": round(float(result["expected"][row]), 3), "usual": round(float(result["usual"][row]), 3)})
        return Response({**body, "week": result["week"], "method": result["method"], "backtest": result["backtest"]})


class HeatView(APIView):
    """Incidents the caller may see, counted per ~100 m cell, for a heat layer: the incident
    filters (since/until/category/…; the last 30 days by default)."""

    @extend_schema(parameters=openapi_parameters(IncidentFilter), responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        require_analyst(request.user)
        query = request.query_params.copy()
        if not any(query.get(name) for name in ("since", "days")):
            query["days"] = str(HEAT_DEFAULT_DAYS)
        incidents = filtered(IncidentFilter(query, queryset=incidents_visible_to(request.user)))
        cells = selectors.heat_cells(incidents)
        return Response({"cells": cells, "max": max((cell[2] for cell in cells), default=0)})


class WarningSerializer(serializers.ModelSerializer):
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    town = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    trend_label = serializers.CharField(source="get_trend_display", read_only=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", read_only=True, default=None)

    class Meta:
        model = EarlyWarning
        fields = ["id", "grid", "grid_name", "town", "category", "week", "forecast", "usual", "trend", "trend_label",
                  "reason", "created_at", "acknowledged_at", "acknowledged_by", "note"]


class WarningListView(generics.ListAPIView):
    """Early warnings for the caller's ground, newest week first; `open=1` for unacknowledged."""

    serializer_class = WarningSerializer

    def get_queryset(self):
        if not self.request.user.is_authenticated:
            raise NotAuthenticated("sign in to see warnings")
        warnings = selectors.warnings_visible_to(self.request.user).select_related(
            "grid", "town", "category", "acknowledged_by")
        if self.request.query_params.get("open") in ("1", "true"):
            warnings = warnings.filter(acknowledged_at__isnull=True)
        return warnings


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class AcknowledgeView(APIView):
    """A centre has seen the warning (idempotent: acknowledging again changes nothing)."""

    @extend_schema(request=AcknowledgeSerializer, responses={200: WarningSerializer})
    def post(self, request, pk: int):
        require_analyst(request.user)
        warning = selectors.warnings_visible_to(request.user).filter(pk=pk).first()
        if warning is None:
            raise NotFound("warning not found", field="warning")
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.acknowledge(request.user, warning, note=body.validated_data["note"])
        return Response(WarningSerializer(done).data)
