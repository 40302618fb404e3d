"""Serializers: GeoJSON features out, plain validated fields in (services do the rest)."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from gridops.accounts.models import Department
from gridops.core.serializers import PointFeatureMixin, PrebuiltFieldsMixin

from .. import rules, selectors, sla, texts
from ..models import Category, EventType, Incident, IncidentPhoto, IncidentTransition, Source, Status, WorkerPosition


def _ref(obj, *extra) -> dict | None:
    if obj is None:
        return None
    data = {"code": obj.code, "name": obj.name}
    for name in extra:
        data[name] = getattr(obj, name)
    return data


@extend_schema_field({"type": "object", "nullable": True,
                     "properties": {"code": {"type": "string"}, "name": {"type": "string"}}})
class RefField(serializers.ReadOnlyField):
    """A related row as {code, name} (event type, zone, department, centre), or null."""

    def to_representation(self, value):
        return _ref(value)


class IncidentFeatureSerializer(PrebuiltFieldsMixin, PointFeatureMixin, GeoFeatureModelSerializer):
    """An incident as a GeoJSON feature; reporter details only for operators and the reporter."""

    status_label = serializers.SerializerMethodField()
    event_type = RefField()
    category = RefField()
    town = RefField()
    grid = RefField()
    department = RefField()
    command_centre = RefField()
    overdue = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    routing_reason = serializers.SerializerMethodField()
    may_merge = serializers.SerializerMethodField()
    breached_deadlines = serializers.SerializerMethodField()
    escalation_label = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        geo_field = "point"
        fields = [
            "id", "status", "status_label", "version", "event_type", "category", "priority", "emergency",
            "description", "address", "source", "accuracy_m", "town", "grid", "department", "command_centre",
            "district_notified", "routing_reason", "auto_dispatched", "merged_into", "reported_at", "captured_at",
            "registered_at", "dispatched_at", "accepted_at", "resolved_at", "verified_at", "closed_at",
            "response_deadline", "resolution_deadline", "escalation_level", "overdue", "reporter",
            "allowed_transitions", "may_merge", "breached_deadlines", "escalation_label",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_status_label(self, obj):
        return Status(obj.status).label

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, obj):
        return sla.is_overdue(obj, self.context.get("now"))

    def _capacities(self, obj):
        user = getattr(self.context.get("request"), "user", None)
        return selectors.acting_capacities(user, obj) if user else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_routing_reason(self, obj):
        """Why it went where it went, in the reader's language (the record keeps the Chinese)."""
        return texts.localized(obj.routing_reason)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj):
        """The moves this user may make now: clients draw their buttons from this, never a copy."""
        return rules.allowed_targets(self._capacities(obj), obj.status)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_may_merge(self, obj):
        """Whether this user may merge this incident, as a duplicate, into another."""
        return rules.may_merge(self._capacities(obj), obj.status)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=["response", "resolution"])))
    def get_breached_deadlines(self, obj):
        """The deadlines it is past now; `overdue` is true when this is not empty."""
        return sla.breached(obj, self.context.get("now"))

    @extend_schema_field(OpenApiTypes.STR)
    def get_escalation_label(self, obj):
        return str(sla.ESCALATION_LEVEL_NAMES.get(obj.escalation_level, obj.escalation_level))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_reporter(self, obj):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not selectors.may_see_personal_data(user, obj):
            return None
        return {
            "id": obj.reporter_id,
            "username": obj.reporter.get_username() if obj.reporter_id else None,
            "name": obj.reporter_name, "phone": obj.reporter_phone, "email": obj.reporter_email,
        }


class PhotoSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = IncidentPhoto
        fields = ["id", "url", "content_type", "size", "sha256", "uploaded_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj):
        request = self.context.get("request")
        url = obj.file.url
        return request.build_absolute_uri(url) if request else url


class TransitionSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    from_label = serializers.SerializerMethodField()
    to_label = serializers.SerializerMethodField()
    department = RefField()
    note = serializers.SerializerMethodField()

    class Meta:
        model = IncidentTransition
        fields = ["id", "action", "actor", "from_status", "from_label", "to_status", "to_label", "department",
                  "note", "at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, obj):
        if obj.actor_id is None:
            return texts.actor_label(texts.SYSTEM)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # A citizen's name is personal data: departments see only the role.
        if obj.action == IncidentTransition.Action.REPORT and not (
                user and selectors.may_see_personal_data(user, obj.incident)):
            return None
        return obj.actor.get_username()

    @extend_schema_field(OpenApiTypes.STR)
    def get_note(self, obj):
        """A system-written note in the reader's language; a person's note as typed."""
        return texts.localized(obj.note)

    @extend_schema_field(OpenApiTypes.STR)
    def get_from_label(self, obj):
        return Status(obj.from_status).label if obj.from_status else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_to_label(self, obj):
        return Status(obj.to_status).label


class IncidentDetailSerializer(IncidentFeatureSerializer):
    photos = PhotoSerializer(many=True, read_only=True)
    transitions = serializers.SerializerMethodField()
    routing_rule = serializers.IntegerField(source="routing_rule_id", read_only=True)
    co_reporter_count = serializers.SerializerMethodField()

    class Meta(IncidentFeatureSerializer.Meta):
        fields = IncidentFeatureSerializer.Meta.fields + [
            "photos", "transitions", "routing_rule", "co_reporter_count"]

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, obj):
        rows = obj.transitions.select_related("actor", "department")
        for row in rows:
            row.incident = obj
        return TransitionSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(OpenApiTypes.INT)
    def get_co_reporter_count(self, obj):
        ids = getattr(obj, "co_reporter_ids", None)  # read with the row by a transition
        return len(ids) if ids is not None else obj.co_reporters.count()


class IncidentCreateSerializer(PrebuiltFieldsMixin, serializers.Serializer):
    """The tablet's report. Coordinates may be WGS84, GCJ-02 or BD-09 (converted on intake)."""

    event_type = serializers.CharField(max_length=32, help_text="Event-type code")
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02", "bd09"], default="wgs84")
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100_000)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    address = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    client_key = serializers.CharField(required=False, allow_blank=True, max_length=64, default="",
                                       help_text="Idempotency key: a retry with the same key returns the same incident")
    source = serializers.ChoiceField(choices=Source.choices, required=False,
                                     help_text="Defaults from the reporter's role; staff may record hotline/sensor reports")
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")
    captured_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="When the device saw it, by its own clock (an offline outbox sends reports later). Kept beside "
                  "the server's reported_at, which alone starts the deadlines; at most "
                  "GRIDOPS_CAPTURE_MAX_AGE_HOURS (72 h) old and not ahead of the server's clock, else 400. "
                  "A client's reported_at is ignored.")


class TransitionRequestSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    version = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    department = serializers.CharField(required=False, allow_blank=True, max_length=32, default="",
                                       help_text="Department code when dispatching")


class MergeRequestSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="The original incident's id")
    version = serializers.IntegerField(min_value=1, help_text="Version of the duplicate you last read")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField()


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "short_name"]


class CategorySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "kind", "kind_label"]


class EventTypeSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    priority_label = serializers.CharField(source="get_priority_display", read_only=True)
    pinyin = serializers.SerializerMethodField()
    english = serializers.SerializerMethodField()

    class Meta:
        model = EventType
        fields = ["code", "name", "category", "category_name", "major_class", "minor_class", "department",
                  "department_name", "priority", "priority_label", "response_hours", "resolution_hours",
                  "emergency", "keywords", "pinyin_full", "pinyin_initials", "pinyin", "english"]

    def _entry(self, obj):
        from ..search import build_entry, catalogue_index

        if "catalogue_index" not in self.context:  # one fingerprint query per response, not per row
            self.context["catalogue_index"] = catalogue_index()
        return self.context["catalogue_index"].entry(obj.code) or build_entry(obj.pk, obj.code, obj.name)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_pinyin(self, obj):
        """One syllable per character ("" for others): the tablet ranks its offline copy with it."""
        return list(self._entry(obj).syllables)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_english(self, obj):
        return list(self._entry(obj).english)


class PingSerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02", "bd09"], default="wgs84")
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100_000)
    recorded_at = serializers.DateTimeField(required=False)


class PingBatchSerializer(serializers.Serializer):
    pings = PingSerializer(many=True, allow_empty=False, max_length=1000)


class WorkerPositionSerializer(PointFeatureMixin, GeoFeatureModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()
    grid = serializers.SerializerMethodField()
    grid_name = serializers.SerializerMethodField()

    class Meta:
        model = WorkerPosition
        geo_field = "point"
        fields = ["id", "username", "name", "accuracy_m", "grid", "grid_name", "recorded_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, obj):
        profile = getattr(obj.user, "profile", None)
        return profile.display_name if profile else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_grid(self, obj):
        return obj.grid.code if obj.grid_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_grid_name(self, obj):
        return obj.grid.name if obj.grid_id else None
