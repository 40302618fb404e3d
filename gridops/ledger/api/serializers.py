"""GeoJSON shapes of the ledger's map layers (vendor stalls, check-ins)."""
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from gridops.core.serializers import PointFeatureMixin

from ..models import CheckIn, Vendor


class VendorFeatureSerializer(PointFeatureMixin, GeoFeatureModelSerializer):
    """A stall on the public map; `state` is passed in the context per vendor (one head read)."""

    state = serializers.SerializerMethodField()
    entry = serializers.IntegerField(source="entry_id")
    grid = serializers.CharField(source="grid.code", default=None)
    page = serializers.SerializerMethodField()

    class Meta:
        model = Vendor
        geo_field = "stall"
        id_field = "code"
        fields = ["code", "name", "licence_no", "market", "stall_no", "goods", "active", "grid", "entry", "state", "page"]

    def get_state(self, vendor) -> str:
        return self.context["states"][vendor.pk]

    def get_page(self, vendor) -> str:
        from django.urls import reverse

        return reverse("ledger:vendor-page", args=[vendor.code])


class CheckInFeatureSerializer(PointFeatureMixin, GeoFeatureModelSerializer):
    case_no = serializers.CharField(source="person.case_no")
    name = serializers.CharField(source="person.name")
    grid = serializers.CharField(source="grid.code", default=None)
    entry = serializers.IntegerField(source="entry_id")

    class Meta:
        model = CheckIn
        geo_field = "point"
        fields = ["id", "case_no", "name", "at", "received_at", "accuracy_m", "inside_geofence",
                  "curfew_breach", "flagged", "reasons", "grid", "entry"]
