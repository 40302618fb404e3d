"""Thin HTTP adapters over the spatial core's selectors."""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from gridops.core.conditional import conditional_response
from gridops.core.errors import InvalidInput, NotFound, PayloadTooLarge
from gridops.core.numbers import parse_lon_lat, parse_number
from gridops.core.refcache import reference_response
from geodata import selectors
from geodata.conf import locate_batch_limit
from geodata.coords import many_to_wgs84, parse_crs, to_wgs84
from geodata.models import CODE_LENGTH, Level

from .params import looks_swapped
from .schema import (
    CommandCentreCollection, LocateBatchResult, LocateResult, ZoneDetailFeature, ZoneFeatureCollection,
)

GEOJSON = "application/geo+json"
LEVEL_PARAM_HELP = ("district, town, area, village or grid — the names `properties.level` carries; the numbers "
                    "0-4 are accepted too, for old clients")
GENERATION_PARAMETERS = [
    OpenApiParameter("generation", OpenApiTypes.INT, description="a boundary generation's id "
                     "(/api/v1/zones/generations); default the current one"),
    OpenApiParameter("date", OpenApiTypes.DATE, description="the generation in force on this day (YYYY-MM-DD); "
                     "not with generation"),
]


class _LocateBatchRequest(serializers.Serializer):
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02", "bd09"], required=False)
    points = serializers.ListField(child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2))


class LocateView(APIView):
    """Which micro-grid (and town, area, village) holds a point, and which centre is responsible."""

    authentication_classes: list = []  # a public lookup: no session, so no CSRF on the batch POST
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("lat", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("crs", OpenApiTypes.STR, enum=["wgs84", "gcj02", "bd09"]),
            *GENERATION_PARAMETERS,
        ],
        responses={200: LocateResult, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params = request.query_params
        crs = parse_crs(params.get("crs"))
        lon, lat = parse_lon_lat(params.get("lon"), params.get("lat"))
        wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
        generation = selectors.generation_from_params(params)  # no query unless one is named
        result = selectors.locate_point_as_dict(wgs_lon, wgs_lat, generation=generation)
        if result is None:
            message = f"the point ({lon}, {lat}) is outside the district"
            if looks_swapped(lon, lat):
                message += "; lon and lat look swapped (lon about 113, lat about 23 here)"
            raise NotFound(message, code="outside_district")
        body = {"input": {"lon": lon, "lat": lat, "crs": crs.value}, "wgs84": {"lon": wgs_lon, "lat": wgs_lat}}
        body.update(result)
        return Response(body)

    @extend_schema(request=_LocateBatchRequest,
                   responses={200: LocateBatchResult, 400: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT})
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise InvalidInput("the body must be a JSON object with a 'points' list", field="points")
        crs = parse_crs(data.get("crs"))
        raw_points = data.get("points")
        if not isinstance(raw_points, list):
            raise InvalidInput("points must be a list of [lon, lat] pairs or {lon, lat} objects", field="points")
        limit = locate_batch_limit()
        if len(raw_points) > limit:
            raise PayloadTooLarge(f"points has {len(raw_points)} items; at most {limit} per call", field="points")
        points = [_batch_point(item, index) for index, item in enumerate(raw_points)]
        generation = selectors.generation_from_params(request.query_params)
        results = selectors.locate_many_as_dicts(many_to_wgs84(points, crs), generation=generation)
        return Response({
            "crs": crs.value,
            "count": len(points),
            "located": sum(r is not None for r in results),
            "results": results,
        })


def _batch_point(item, index: int) -> tuple[float, float]:
    if isinstance(item, dict):
        return parse_lon_lat(item.get("lon"), item.get("lat"), prefix=f"points[{index}].")
    if isinstance(item, (list, tuple)) and len(item) == 2:
        return parse_lon_lat(item[0], item[1], prefix=f"points[{index}].")
    raise InvalidInput("each point must be [lon, lat] or {\"lon\": .., \"lat\": ..}", field=f"points[{index}]")


def _geojson_response(request, body_fn, *etag_parts) -> HttpResponse:
    """Conditional GET: the ETag comes from the zones' fingerprint, so unchanged data is a 304."""
    return conditional_response(
        request, etag=selectors.etag_for(selectors.zones_version(), *etag_parts),
        build=lambda: HttpResponse(body_fn(), content_type=GEOJSON),
        cache_control={"public": True, "max_age": 60, "must_revalidate": True},
    )


def _level_param(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(Level.from_name(value))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="level") from None


class ZoneListView(APIView):
    """Zones of one level as a GeoJSON FeatureCollection (simplified for small zooms).

    `level` is required: the whole hierarchy with full geometry (1,077 zones, megabytes) is never
    one response; a client walks it level by level or by `/zones/{code}/children`.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, required=True, enum=[lv.name.lower() for lv in Level],
                             description=LEVEL_PARAM_HELP),
            OpenApiParameter("simplify", OpenApiTypes.NUMBER, description="tolerance in degrees (0 = full detail, "
                             "at most 0.1); geometries stay MultiPolygons"),
            *GENERATION_PARAMETERS,
        ],
        responses={(200, GEOJSON): ZoneFeatureCollection, 400: OpenApiTypes.OBJECT},
        operation_id="zones_list",
    )
    def get(self, request):
        level = _level_param(request.query_params.get("level"))
        if level is None:
            raise InvalidInput("level is required (district, town, area, village or grid): all 1,077 zones with "
                               "geometry are too many for one response", field="level", code="required")
        tolerance = parse_number(request.query_params.get("simplify"), "simplify", low=0.0, high=0.1, default=0.0)
        generation = selectors.generation_from_params(request.query_params)
        return _geojson_response(
            request, lambda: selectors.zones_feature_collection(level=level, tolerance=tolerance, generation=generation),
            "list", level, tolerance, _generation_key(generation),
        )


def _generation_key(generation) -> str:
    return "current" if generation is None else f"g{generation.pk}"


class GenerationListView(APIView):
    """The boundary generations, oldest first: validity, whether current, how many zones."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="zone_generations_list")
    def get(self, request):
        return Response({"generations": selectors.generations_list()})


class ZoneDetailView(APIView):
    """One zone as a GeoJSON Feature, with its parent chain."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(parameters=GENERATION_PARAMETERS,
                   responses={(200, GEOJSON): ZoneDetailFeature, 404: OpenApiTypes.OBJECT})
    def get(self, request, code: str):
        generation = selectors.generation_from_params(request.query_params)
        zone = selectors.zone_by_code(code, generation=generation)
        if zone is None:
            raise NotFound(f"no zone with code {code}", field="code")

        def body() -> str:
            import json

            collection = json.loads(selectors.zones_feature_collection(code=code, generation=generation))
            feature = collection["features"][0]
            feature["properties"]["chain"] = [
                {"level": Level(z.level).name.lower(), "code": z.code, "name": z.name}
                for z in selectors.zone_chain(zone)
            ]
            feature["properties"]["children"] = selectors.zone_children_count(zone, generation=generation)
            return json.dumps(feature, ensure_ascii=False)

        return _geojson_response(request, body, "detail", code, _generation_key(generation))


class ZoneChildrenView(APIView):
    """A zone's children as a GeoJSON FeatureCollection."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("simplify", OpenApiTypes.NUMBER, description="tolerance in degrees"),
                    *GENERATION_PARAMETERS],
        responses={(200, GEOJSON): ZoneFeatureCollection, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request, code: str):
        generation = selectors.generation_from_params(request.query_params)
        if selectors.zone_by_code(code, generation=generation) is None:
            raise NotFound(f"no zone with code {code}", field="code")
        tolerance = parse_number(request.query_params.get("simplify"), "simplify", low=0.0, high=0.1, default=0.0)
        return _geojson_response(
            request, lambda: selectors.zones_feature_collection(parent_code=code, tolerance=tolerance,
                                                                generation=generation),
            "children", code, tolerance, _generation_key(generation),
        )


class CommandCentreListView(APIView):
    """The district's command centres, public; `within` cuts them to one zone's subtree (the
    console asks for the user's jurisdiction). It replaced /api/v1/realtime/centres/ (issue 15)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("within", OpenApiTypes.STR, description="a zone code (6-17 digits): only the "
                                     "centres of that zone and the zones under it")],
        responses={(200, GEOJSON): CommandCentreCollection, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
    def get(self, request):
        within = request.query_params.get("within") or ""
        if within and not (within.isascii() and within.isdigit() and len(within) in CODE_LENGTH.values()):
            raise InvalidInput("within must be a zone code (6, 9, 11, 14 or 17 digits)", field="within")
        if within and selectors.zone_by_code(within) is None:  # also bounds the cached variants
            raise NotFound(f"no zone with code {within}", field="within")
        return reference_response(request, name=f"command-centres|{within}", build=lambda: HttpResponse(
            selectors.command_centres_feature_collection(within), content_type=GEOJSON))
