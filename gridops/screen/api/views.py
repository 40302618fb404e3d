"""The screen's one API: every figure of the wall display for a zone and period, in one answer."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors


class ScreenSummaryView(APIView):
    """Today, the period (`days`, default a year), the 30-day trend, rankings, feed, approvals,
    seats and the ledger for the district or a town (`zone`) within the caller's jurisdiction."""

    @extend_schema(
        parameters=[
            OpenApiParameter("zone", OpenApiTypes.STR, description="the district or a town code (the caller's own by default)"),
            OpenApiParameter("days", OpenApiTypes.INT, description="days of the period figures, 1–366"),
            OpenApiParameter("part", OpenApiTypes.STR, enum=list(selectors.PARTS),
                             description="live: only what a new report changes (today, trend, feed)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        zone = selectors.screen_zone(request.user, request.query_params.get("zone") or None)
        days = selectors.period_days(request.query_params.get("days"))
        part = request.query_params.get("part") or "all"
        return Response(selectors.screen_summary(request.user, zone=zone, days=days, part=part))
