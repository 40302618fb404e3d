"""Sensors' HTTP API: a device posts a reading with its key; operators see devices on the map."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from gridops.core.errors import NotAuthenticated

from .. import keys, selectors, services


class ReadingInSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=services.READING_ID_MAX, help_text="the device's own number for the reading")
    value = serializers.FloatField()
    at = serializers.CharField(required=False, allow_blank=True, help_text="when measured (ISO 8601); default now")


class ReadingView(APIView):
    """`POST` a reading (`Authorization: Api-Key <device key>`): 201 when stored, 200 when this
    reading id was already stored (a retry), with the incident it opened or joined."""

    authentication_classes: list = []

    @extend_schema(request=ReadingInSerializer, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT})
    def post(self, request):
        device = keys.device_for(request)
        body = ReadingInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reading, created = services.reading_ingest(device=device, reading_id=body.validated_data["id"],
                                                   value=body.validated_data["value"],
                                                   measured_at=body.validated_data.get("at") or None, via="http")
        return Response({"device": device.code, "id": reading.reading_id, "breach": reading.breach,
                         "incident": reading.incident_id, "opened": reading.opened},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DeviceListView(APIView):
    """Devices in the caller's jurisdiction as GeoJSON: kind, owner, threshold, last value, state."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated("sign in to see devices")
        devices = selectors.devices_visible_to(request.user).select_related("department")
        return Response({"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": d.code,
            "geometry": {"type": "Point", "coordinates": [round(d.location.x, 6), round(d.location.y, 6)]},
            "properties": {"code": d.code, "name": d.name or d.code, "kind": d.kind, "kind_label": d.get_kind_display(),
                           "department": d.department.short_name or d.department.name, "threshold": d.threshold,
                           "unit": d.unit, "last_value": d.last_value, "last_seen_at": d.last_seen_at,
                           "state": selectors.device_state(d), "silent_incident": d.silent_incident_id},
        } for d in devices]})
