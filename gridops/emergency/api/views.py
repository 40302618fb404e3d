"""Thin HTTP adapters over emergency response's services and selectors."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework.response import Response

from gridops.core import clock
from gridops.core.errors import NotFound
from gridops.core.numbers import parse_lon_lat, parse_number
# Token first, so an anonymous tablet gets 401 (the one base of the API's signed-in views).
from gridops.incidents.api.views import AuthenticatedView

from .. import conf, nearest, selectors, services
from ..models import Status

JSON = {200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _visible(request, pk: int):
    emergency = selectors.emergencies_visible_to(request.user).filter(pk=pk).first()
    if emergency is None:
        raise NotFound("emergency not found", field="emergency")
    return emergency


class EmergencyListView(AuthenticatedView):
    """GET: the emergencies the user sees (`?status=active|closed`). POST: declare one over
    `area` = {"polygon": GeoJSON} | {"point": [lon, lat], "radius_m": m} | {"zones": [codes]}."""

    # A list, not a retrieve: drf-spectacular names both GETs "retrieve" (an APIView, not a ViewSet).
    @extend_schema(operation_id="v1_emergencies_list", parameters=[OpenApiParameter("status", str)], responses=JSON)
    def get(self, request):
        qs = selectors.emergencies_visible_to(request.user)
        wanted = request.query_params.get("status")
        if wanted in Status.values:
            qs = qs.filter(status=wanted)
        return Response({"results": [selectors.emergency_card(e) for e in qs[:200]]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **JSON})
    def post(self, request):
        body = _body(request)
        emergency, created = services.emergency_declare(
            user=request.user, kind=body.get("kind"), title=body.get("title"), area=body.get("area"),
            client_key=body.get("client_key"))
        return Response(selectors.emergency_detail(emergency), status=http.HTTP_201_CREATED if created else http.HTTP_200_OK)


class EmergencyDetailView(AuthenticatedView):
    """The emergency with its area, acknowledgement board and situation summary."""

    @extend_schema(responses=JSON)
    def get(self, request, pk: int):
        return Response(selectors.emergency_detail(_visible(request, pk)))


class EmergencyEscalateView(AuthenticatedView):
    @extend_schema(request=None, responses=JSON)
    def post(self, request, pk: int):
        return Response(selectors.emergency_card(services.emergency_escalate(user=request.user, emergency_id=pk)))


class EmergencyCloseView(AuthenticatedView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=JSON)
    def post(self, request, pk: int):
        emergency = services.emergency_close(user=request.user, emergency_id=pk, note=_body(request).get("note", ""))
        return Response(selectors.emergency_card(emergency))


class MyTasksView(AuthenticatedView):
    """A grid worker's open emergency tasks (what the tablet shows, and reloads on reconnect)."""

    @extend_schema(responses=JSON)
    def get(self, request):
        return Response({"results": selectors.worker_open_tasks(request.user)})


class TaskAdvanceView(AuthenticatedView):
    """The worker answers: {"status": "acknowledged" | "on_the_way" | "arrived"}; idempotent."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=JSON)
    def post(self, request, pk: int):
        task = services.task_advance(user=request.user, task_id=pk, status=_body(request).get("status"))
        return Response(selectors.task_row(task))


class KpiView(AuthenticatedView):
    @extend_schema(parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)], responses=JSON)
    def get(self, request):
        params = request.query_params
        since = clock.parse_time(params["since"], "since") if params.get("since") else None
        until = clock.parse_time(params["until"], "until") if params.get("until") else None
        return Response(selectors.kpis(request.user, since=since, until=until))


class ShelterLayerView(AuthenticatedView):
    """Shelters and resource points in the user's jurisdiction, GeoJSON (capacity, occupancy)."""

    @extend_schema(responses=JSON)
    def get(self, request):
        return Response(selectors.shelters_geojson(request.user))


class ShelterOccupancyView(AuthenticatedView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=JSON)
    def post(self, request, code: str):
        shelter = services.shelter_occupancy_set(user=request.user, code=code, occupancy=_body(request).get("occupancy"))
        return Response(selectors.shelter_row(shelter))


class NearestWorkersView(AuthenticatedView):
    """The k nearest available grid workers to a point by road, with their routes (operators)."""

    @extend_schema(parameters=[OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True),
                               OpenApiParameter("k", int)], responses={503: OpenApiTypes.OBJECT, **JSON})
    def get(self, request):
        services.require_operator(request.user)
        params = request.query_params
        lon, lat = parse_lon_lat(params.get("lon"), params.get("lat"))
        k = parse_number(params.get("k"), "k", low=1, high=conf.nearest_max_k(), default=5, whole=True)
        return Response(nearest.nearest_workers(request.user, lon, lat, k))
