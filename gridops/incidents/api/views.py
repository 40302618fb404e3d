"""Thin API views: parse, call a selector or service, serialize. No rules live here."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gridops.accounts.authentication import ProfileTokenAuthentication
from gridops.accounts.models import Department, Role
from gridops.accounts.selectors import role_of
from gridops.core.errors import Forbidden
from gridops.core.numbers import parse_number
from gridops.core.pagination import GeoJsonPagePagination
from gridops.core.filtersets import filtered, openapi_parameters

from .. import rules, selectors
from ..filters import IncidentFilter
from ..models import OPEN_STATUSES, Category, Priority, Source, Status
from ..services import intake, lifecycle, photos, positions
from . import filters
from .serializers import (
    CategorySerializer, DepartmentSerializer, EventTypeSerializer, IncidentCreateSerializer,
    IncidentDetailSerializer, IncidentFeatureSerializer, MergeRequestSerializer, PhotoSerializer,
    PhotoUploadSerializer, PingBatchSerializer, TransitionRequestSerializer, WorkerPositionSerializer,
)


class AuthenticatedView(APIView):
    """Token first, so an anonymous tablet gets 401 with `WWW-Authenticate: Token`."""

    authentication_classes = [ProfileTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


# Which sources a role may record; the first is its default.
REPORT_SOURCES = {
    Role.GRID_WORKER: [Source.GRID_WORKER],
    Role.CITIZEN: [Source.CITIZEN],
    Role.DISTRICT_OPERATOR: [Source.HOTLINE, Source.SENSOR, Source.CITIZEN],
    Role.TOWN_OPERATOR: [Source.HOTLINE, Source.SENSOR, Source.CITIZEN],
}


def _context(request) -> dict:
    return {"request": request, "now": timezone.now()}


class IncidentListView(AuthenticatedView):
    pagination_class = GeoJsonPagePagination

    @extend_schema(parameters=openapi_parameters(IncidentFilter), responses=IncidentFeatureSerializer(many=True))
    def get(self, request):
        """Incidents the user may see, filtered (`filters.IncidentFilter`) and paginated, as GeoJSON."""
        qs = filtered(IncidentFilter(request.query_params, queryset=selectors.incidents_visible_to(request.user),
                                     request=request))
        qs = selectors.newest_first(selectors.with_related(qs), request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        data = IncidentFeatureSerializer(page, many=True, context=_context(request)).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentFeatureSerializer,
                                                                  200: IncidentFeatureSerializer})
    def post(self, request):
        """Report an incident; a retry with the same `client_key` returns the first one with 200."""
        data = _validated(IncidentCreateSerializer, request)
        allowed = REPORT_SOURCES.get(role_of(request.user))
        if not allowed:
            raise Forbidden("your role does not report incidents", field="role")
        source = data.get("source") or allowed[0]
        if source not in allowed:
            raise Forbidden(f"your role may not record {source} reports", field="source")
        incident, created = intake.incident_report(
            reporter=request.user, lon=data["lon"], lat=data["lat"], crs=data["crs"],
            accuracy_m=data.get("accuracy_m"), event_type=data["event_type"], source=source,
            description=data["description"], address=data["address"], client_key=data["client_key"],
            reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
            captured_at=data.get("captured_at"),  # the device's clock; reported_at is the server's
        )
        feature = IncidentFeatureSerializer(incident, context=_context(request)).data
        # Intake already found the duplicates (`duplicate_candidate_ids`, False for none): only the
        # reporter's view of them is left to read. A retried report was not looked at again.
        found = getattr(incident, "duplicate_candidate_ids", None)
        if found is None:
            duplicates = list(selectors.duplicates_for(request.user, incident).values_list("pk", flat=True)[:20])
        else:
            duplicates = selectors.visible_ids(request.user, found or [])
        feature["properties"]["duplicate_candidates"] = duplicates
        return Response(feature, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _validated(serializer_class, request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _detail(request, incident_id) -> Response:
    """The incident as the user now sees it (after a write: fresh, with history and actions)."""
    incident = selectors.incident_for(request.user, incident_id)
    return Response(IncidentDetailSerializer(incident, context=_context(request)).data)


class IncidentDetailView(AuthenticatedView):
    @extend_schema(responses=IncidentDetailSerializer)
    def get(self, request, pk: int):
        return _detail(request, pk)


class IncidentTransitionView(AuthenticatedView):
    @extend_schema(request=TransitionRequestSerializer, responses={200: IncidentDetailSerializer})
    def post(self, request, pk: int):
        """Move the incident to `status`; 409 with the current state when `version` is stale."""
        data = _validated(TransitionRequestSerializer, request)
        incident = lifecycle.incident_transition(
            user=request.user, incident_id=pk, status=data["status"], version=data["version"],
            note=data["note"], department=data["department"] or None)
        # The row the move locked and wrote is the fresh state, and a move never changes what its
        # maker may see (`incident_transition`): no second visibility check and read.
        return Response(IncidentDetailSerializer(incident, context=_context(request)).data)


class IncidentMergeView(AuthenticatedView):
    @extend_schema(request=MergeRequestSerializer, responses={200: IncidentDetailSerializer})
    def post(self, request, pk: int):
        """Merge this incident (a duplicate) into `into`; returns the original."""
        data = _validated(MergeRequestSerializer, request)
        original = lifecycle.incident_merge(user=request.user, incident_id=pk, into_id=data["into"],
                                            version=data["version"], note=data["note"])
        return _detail(request, original.pk)


class IncidentDuplicatesView(AuthenticatedView):
    @extend_schema(responses=IncidentFeatureSerializer(many=True))
    def get(self, request, pk: int):
        """Open incidents of the same type within 50 m reported in the 24 h before this one."""
        incident = selectors.incident_for(request.user, pk)
        rows = selectors.duplicates_for(request.user, incident)[:50]
        return Response(IncidentFeatureSerializer(rows, many=True, context=_context(request)).data)


class IncidentPhotoView(AuthenticatedView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer},
                   responses={201: PhotoSerializer, 200: PhotoSerializer})
    def post(self, request, pk: int):
        """Attach a JPEG/PNG/WebP photo (≤ 10 MB, checked by content); the same bytes again → 200."""
        photo, created = photos.incident_photo_add(user=request.user, incident_id=pk,
                                                   upload=request.FILES.get("photo"))
        return Response(PhotoSerializer(photo, context=_context(request)).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OverdueView(AuthenticatedView):
    pagination_class = GeoJsonPagePagination

    @extend_schema(responses=IncidentFeatureSerializer(many=True))
    def get(self, request):
        """The supervisor's list: overdue incidents in the user's jurisdiction, most overdue first."""
        if role_of(request.user) not in rules.OPERATORS | rules.HANDLERS:
            raise Forbidden("the overdue list is for command centres and departments", field="role")
        qs = selectors.with_related(selectors.incidents_overdue(request.user))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(
            IncidentFeatureSerializer(page, many=True, context=_context(request)).data)


class IncidentMetaView(APIView):
    """The lifecycle as data: statuses, priorities, sources and who may make which move.

    Clients draw their legends and action buttons from this table instead of copying it; the
    server still checks every move (rules.TRANSITIONS is the same table).
    """

    @extend_schema(responses=inline_serializer("IncidentMeta", {
        "statuses": serializers.ListField(child=serializers.DictField()),
        "priorities": serializers.ListField(child=serializers.DictField()),
        "sources": serializers.ListField(child=serializers.DictField()),
        "transitions": serializers.ListField(child=serializers.DictField()),
        "open_statuses": serializers.ListField(child=serializers.CharField()),
    }))
    def get(self, request):
        def choices(enum):
            return [{"value": value, "label": str(label)} for value, label in enum.choices]

        return _cacheable(Response({
            "statuses": choices(Status),
            "priorities": choices(Priority),
            "sources": choices(Source),
            "transitions": rules.transition_table(),
            "open_statuses": [str(s) for s in OPEN_STATUSES],
        }))


CATALOGUE_MAX_AGE = 300  # seconds; tablets keep the catalogue for offline search


def _cacheable(response: Response) -> Response:
    response["Cache-Control"] = f"public, max-age={CATALOGUE_MAX_AGE}"
    return response


class DepartmentListView(APIView):
    @extend_schema(responses=DepartmentSerializer(many=True))
    def get(self, request):
        return _cacheable(Response(DepartmentSerializer(Department.objects.all(), many=True).data))


class CategoryListView(APIView):
    @extend_schema(responses=CategorySerializer(many=True))
    def get(self, request):
        return _cacheable(Response(CategorySerializer(Category.objects.all(), many=True).data))


class EventTypeListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Chinese words, full pinyin or pinyin initials (jg → 井盖)"),
            OpenApiParameter("category", str, description="Category code"),
            OpenApiParameter("limit", int, description="At most this many (default 50, max 2000)"),
        ],
        responses=EventTypeSerializer(many=True),
    )
    def get(self, request):
        """The catalogue of event types, searched and ranked when `q` is given."""
        limit = min(max(parse_number(request.query_params.get("limit"), "limit", default=50, whole=True), 1), 2000)
        params = request.query_params
        rows = selectors.event_types_search(filters.text_param(params, "q", 64),
                                            category=filters.text_param(params, "category", 16) or None, limit=limit)
        return _cacheable(Response(EventTypeSerializer(rows, many=True).data))


class WorkerPositionView(AuthenticatedView):
    @extend_schema(request=PingBatchSerializer,
                   responses={201: inline_serializer("PingsStored", {"stored": serializers.IntegerField()})})
    def post(self, request):
        """A grid worker's position pings (a batch, so the offline queue flushes in one call)."""
        pings = _validated(PingBatchSerializer, request)["pings"]
        stored = positions.worker_positions_record(user=request.user, pings=pings)
        return Response({"stored": stored}, status=status.HTTP_201_CREATED)


class WorkerPositionLatestView(AuthenticatedView):
    @extend_schema(parameters=[OpenApiParameter("minutes", int, description="Only pings this recent (default 120)")],
                   responses=WorkerPositionSerializer(many=True))
    def get(self, request):
        """The latest position of each grid worker the user may see, as GeoJSON."""
        minutes = parse_number(request.query_params.get("minutes"), "minutes", default=120, whole=True)
        minutes = min(max(minutes, 1), 7 * 24 * 60)
        since = timezone.now() - timedelta(minutes=minutes)
        rows = selectors.positions_latest(request.user, since=since)
        return Response(WorkerPositionSerializer(rows, many=True).data)
