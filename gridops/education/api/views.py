"""Thin HTTP adapters over the education selectors and services."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from geodata.coords import input_point
from gridops.accounts.selectors import within_jurisdiction
from gridops.core import uploads
from gridops.core.errors import InvalidInput
from gridops.core.parsers import JSONParser

from .. import conf, exports, loaders, rules, selectors, services
from ..models import CatchmentPlan, School
from ..projection import projection_from
from ..whatif import build_scenario
from .serializers import AssignSerializer, ImportSerializer, PlanCreateSerializer, PlanSerializer, WhatIfSerializer

PROJECTION_PARAMS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="school year to project to (base year by default)"),
    OpenApiParameter("birth_rate", OpenApiTypes.NUMBER, description="births per 1,000 residents a year"),
    OpenApiParameter("migration_hukou", OpenApiTypes.NUMBER, description="net yearly migration of hukou children"),
    OpenApiParameter("migration_non_hukou", OpenApiTypes.NUMBER, description="net yearly migration of non-hukou children"),
    OpenApiParameter("towns", OpenApiTypes.STR, description='JSON {"<town code>": {"hukou": r, "non_hukou": r}}'),
]
PLAN_PARAM = OpenApiParameter("plan", OpenApiTypes.INT, description="plan id (the published plan by default)")


def _plan(pk) -> CatchmentPlan:
    return selectors.plan_or_published(pk)


def _balance_body(plan: CatchmentPlan, balance: selectors.Balance) -> dict:
    body = asdict(balance)
    body["projection"] = balance.projection.as_dict()
    body["plan"] = PlanSerializer(plan).data
    body["totals"] = _totals(balance)
    body["towns"] = selectors.seat_gap_by_town(balance)
    return body


def _totals(balance: selectors.Balance) -> dict:
    """Per level: the schools' demand plus the unassigned children equals the district's."""
    totals = {}
    for level, district in balance.district.items():
        rows = [r for r in balance.schools if r["level"] == level]
        totals[level] = {
            "seats": sum(r["seats"] for r in rows),
            "demand": round(sum(r["demand"] for r in rows), 2),
            "unassigned": balance.unassigned.get(level, {}).get("demand", 0),
            "district_demand": district["demand"],
            "gap": round(sum(r["seats"] for r in rows) - district["demand"], 2),
        }
    return totals


class PlannerView(APIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        rules.require_planner(request.user)


class PlanListView(PlannerView):
    @extend_schema(responses=PlanSerializer(many=True))
    def get(self, request):
        plans = CatchmentPlan.objects.select_related("created_by", "published_by").prefetch_related("members")
        return Response(PlanSerializer(plans, many=True).data)

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    def post(self, request):
        data = PlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.plan_create(user=request.user, **data.validated_data)
        return Response(PlanSerializer(plan).data, status=201)


class PlanDetailView(PlannerView):
    @extend_schema(responses=PlanSerializer)
    def get(self, request, pk):
        return Response(PlanSerializer(_plan(pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.plan_delete(user=request.user, plan=_plan(pk))
        return Response(status=204)


class PlanPublishView(PlannerView):
    @extend_schema(request=None, responses=PlanSerializer)
    def post(self, request, pk):
        plan = services.plan_publish(user=request.user, plan=_plan(pk))
        return Response(PlanSerializer(plan).data)


class PlanAssignView(PlannerView):
    remove = False

    @extend_schema(request=AssignSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = _plan(pk)
        school = selectors.school_by_code(data.validated_data["school"])
        if self.remove:
            count = services.plan_unassign(user=request.user, plan=plan, school=school, zone_codes=data.validated_data["zones"])
        else:
            count = services.plan_assign(user=request.user, plan=plan, school=school,
                                         zone_codes=data.validated_data["zones"], weight=data.validated_data["weight"])
        return Response({"plan": plan.pk, "school": school.code, "changed": count})


class PlanBalanceView(PlannerView):
    @extend_schema(parameters=PROJECTION_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        plan = _plan(pk)
        return Response(_balance_body(plan, selectors.plan_balance(plan, projection_from(request.query_params))))


class PlanCatchmentsView(PlannerView):
    """Catchments as GeoJSON polygons with each school's seats, demand and gap (the map layer)."""

    @extend_schema(parameters=PROJECTION_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        plan = _plan(pk)
        balance = selectors.plan_balance(plan, projection_from(request.query_params))
        geoms = selectors.catchment_geometries(plan)
        features = [{"type": "Feature", "id": r["id"], "geometry": json.loads(geoms[r["id"]]), "properties": r}
                    for r in balance.schools if r["id"] in geoms]
        return Response({"type": "FeatureCollection", "features": features, "projection": balance.projection.as_dict(),
                         "totals": _totals(balance)})


class PlanGridsView(PlannerView):
    """Micro-grids with their projected children and serving schools (the what-if picking layer)."""

    @extend_schema(parameters=PROJECTION_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        rows = selectors.grid_demand(_plan(pk), projection_from(request.query_params))
        return Response({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": r["code"], "geometry": json.loads(r.pop("geometry")), "properties": r} for r in rows]})


def _whatif_body(request) -> dict:
    """The what-if body with every value of the right type (`WhatIfSerializer` names the field);
    `whatif.build_scenario` then checks what the values mean (known schools, grids, levels)."""
    if not isinstance(request.data, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    WhatIfSerializer(data=request.data).is_valid(raise_exception=True)
    return request.data


class PlanWhatIfView(PlannerView):
    """Base and what-if figures side by side; `changed` lists the schools whose demand moved."""

    parser_classes = [JSONParser]

    @extend_schema(request=WhatIfSerializer, parameters=PROJECTION_PARAMS, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        plan = _plan(pk)
        body = _whatif_body(request)
        projection = projection_from({**request.query_params.dict(), **{k: v for k, v in body.items() if k not in ("moves", "new_schools")}})
        scenario = build_scenario(plan, body)
        balance = selectors.plan_whatif(plan, projection, scenario.sql_params(), scenario.new_schools)
        result = _balance_body(plan, balance)
        result["changed"] = [r.get("code") for r in balance.schools if r["id"] in set(balance.changed)]
        result["grid_moves"] = len(scenario.grids)
        return Response(result)


class PlanApplyView(PlannerView):
    parser_classes = [JSONParser]

    @extend_schema(request=WhatIfSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        plan = _plan(pk)
        count = services.plan_apply_whatif(user=request.user, plan=plan, data=_whatif_body(request))
        return Response({"plan": plan.pk, "grid_moves": count})


class ServeView(PlannerView):
    """Which school(s) serve a point, with straight-line and (when roads are loaded) road distance."""

    @extend_schema(parameters=[OpenApiParameter("lon", OpenApiTypes.NUMBER, required=True),
                               OpenApiParameter("lat", OpenApiTypes.NUMBER, required=True),
                               OpenApiParameter("crs", OpenApiTypes.STR, enum=["wgs84", "gcj02", "bd09"]), PLAN_PARAM],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request):
        params = request.query_params
        point, _ = input_point(params.get("lon"), params.get("lat"), params.get("crs"))
        return Response(selectors.serving_schools(_plan(params.get("plan")), point.x, point.y))


class SchoolListView(PlannerView):
    """Every school as a GeoJSON point with its figures under a plan and year."""

    @extend_schema(parameters=[PLAN_PARAM, *PROJECTION_PARAMS], responses=OpenApiTypes.OBJECT,
                   operation_id="education_schools_list")
    def get(self, request):
        plan = _plan(request.query_params.get("plan"))
        balance = selectors.plan_balance(plan, projection_from(request.query_params))
        return Response(_points(balance.schools))


def _points(rows) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r["id"], "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}, "properties": r}
        for r in rows if "lon" in r]}


class SchoolDetailView(PlannerView):
    @extend_schema(parameters=[PLAN_PARAM, *PROJECTION_PARAMS], responses=OpenApiTypes.OBJECT)
    def get(self, request, code):
        school = selectors.school_by_code(code)
        plan = _plan(request.query_params.get("plan"))
        balance = selectors.plan_balance(plan, projection_from(request.query_params))
        row = next((r for r in balance.schools if r["id"] == school.pk), None)
        grades = [{"grade": g.grade, "classes": g.classes, "seats": g.seats, "enrolled": g.enrolled,
                   "enrolled_hukou": g.enrolled_hukou, "enrolled_non_hukou": g.enrolled_non_hukou} for g in school.grades.all()]
        return Response({"code": school.code, "name": school.name, "level": school.level, "ownership": school.ownership,
                         "address": school.address, "lon": school.location.x, "lat": school.location.y,
                         "grades": grades, "balance": row, "projection": balance.projection.as_dict()})


class LayerView(APIView):
    """The operator map's "education" layer: schools with this year's gap under the published plan.

    The balance is the district's (catchments cross towns); a town operator is shown their
    town's schools (`within_jurisdiction`), as on their incident map.
    """

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rules.require_layer(request.user)
        plan = selectors.published_plan()
        if plan is None:
            return Response({"type": "FeatureCollection", "features": []})
        balance = selectors.plan_balance(plan, projection_from({}))
        shown = set(School.objects.filter(within_jurisdiction(request.user, "zone__code")).values_list("pk", flat=True))
        keep = ("code", "name", "level", "ownership", "seats", "demand", "gap", "enrolled")
        return Response(_points([{k: r.get(k) for k in (*keep, "lon", "lat")} | {"id": r["id"]}
                                 for r in balance.schools if r["id"] in shown]))


class ExportView(PlannerView):
    @extend_schema(parameters=[PLAN_PARAM, *PROJECTION_PARAMS], responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, view, fmt):
        plan = _plan(request.query_params.get("plan"))
        content, content_type, name = exports.export_view(view, fmt, plan, projection_from(request.query_params))
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ImportView(PlannerView):
    """Upload schools or catchments (GeoPackage, GeoJSON, CSV): a dry run unless commit=true."""

    parser_classes = [MultiPartParser, FormParser]
    SUFFIXES = {".gpkg", ".geojson", ".json", ".csv"}

    @extend_schema(request={"multipart/form-data": ImportSerializer}, responses=OpenApiTypes.OBJECT)
    def post(self, request, kind):
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        suffix = os.path.splitext(upload.name)[1].lower()
        if suffix not in self.SUFFIXES:
            raise InvalidInput(f"the file must be one of {', '.join(sorted(self.SUFFIXES))}", field="file")
        uploads.require_size(upload, limit=conf.max_upload_bytes(), field="file")  # content: the loaders judge it
        commit = data.validated_data["commit"]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "upload" + suffix)
            with open(path, "wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            if kind == "schools":
                report = loaders.import_schools(path, commit=commit)
            else:
                plan = _plan(data.validated_data["plan"]) if data.validated_data.get("plan") else None
                report = loaders.import_catchments(path, plan=plan, name=data.validated_data.get("name", ""),
                                                   user=request.user, commit=commit)
        body = report.as_dict()
        if commit and report.problems:
            first = report.problems[0]
            body["error"] = {"code": "invalid", "field": "file",
                             "message": f"{len(report.problems)} problem(s), nothing imported; feature {first.feature}: {first.reason}"}
            return Response(body, status=400)
        return Response(body)

