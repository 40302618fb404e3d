"""Small APIs the console and the tablet need besides the incidents API.

Command centres and workers' latest positions are GeoJSON (few features, change rarely or are
pushed); `me` gives a page the caller's audiences and event cursor; the KPI strip is one query.
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from geodata.models import CommandCentre
from gridops.accounts.selectors import profile_of, role_of, within_jurisdiction
from gridops.core.errors import InvalidInput

from ..selectors import audiences_of, kpi_strip, latest_event_id


def _feature(fid, lon, lat, properties) -> dict:
    return {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties}


class CentresView(APIView):
    """The district command centre and the town sub-centres as GeoJSON points."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        # A town operator sees their town's centre (`within_jurisdiction`), as on their incident map.
        centres = (CommandCentre.objects.filter(within_jurisdiction(request.user, "zone__code"))
                   .select_related("zone").defer("zone__geom"))
        features = [_feature(c.pk, c.location.x, c.location.y,
                             {"code": c.code, "name": c.name, "zone": c.zone.code, "level": c.zone.level})
                    for c in centres]
        return Response({"type": "FeatureCollection", "features": features})


class PositionsView(APIView):
    """Latest position of each grid worker the caller may see (`?hours=` window, default 12)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        from gridops.incidents.selectors import positions_latest

        try:
            hours = float(request.query_params.get("hours", 12))
        except ValueError:
            raise InvalidInput("hours must be a number", field="hours") from None
        if not 0 < hours <= 24 * 31:
            raise InvalidInput("hours must be between 0 and 744", field="hours")
        rows = positions_latest(request.user, since=timezone.now() - timedelta(hours=hours))
        features = [_feature(p.user_id, p.point.x, p.point.y, {
            "user": p.user.get_username(), "grid": p.grid.code if p.grid_id else None,
            "grid_name": p.grid.name if p.grid_id else None, "accuracy_m": p.accuracy_m,
            "recorded_at": p.recorded_at.isoformat()}) for p in rows]
        return Response({"type": "FeatureCollection", "features": features})


class MeView(APIView):
    """Who the caller is for the pages: role, audiences, micro-grids and the current event cursor."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        profile = profile_of(request.user)
        grids = list(profile.grids.values("code", "name")) if profile else []
        return Response({
            "id": request.user.pk, "username": request.user.get_username(),
            "name": (profile.display_name if profile else "") or request.user.get_username(),
            "role": role_of(request.user), "audiences": audiences_of(request.user), "grids": grids,
            "last_id": latest_event_id(),
        })


class KpiStripView(APIView):
    """Open, overdue and today's closure rate in the caller's jurisdiction (`?category=&priority=`)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        from geodata.tiles import IncidentFilters

        filters = IncidentFilters.parse(request.query_params)
        return Response(kpi_strip(request.user, categories=filters.categories, priorities=filters.priorities))
