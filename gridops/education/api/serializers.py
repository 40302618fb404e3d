"""Request shapes of the education API (responses are plain dicts from selectors)."""
from rest_framework import serializers

from ..models import CatchmentPlan


class PlanSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    members = serializers.IntegerField(source="members.count", read_only=True)

    class Meta:
        model = CatchmentPlan
        fields = ["id", "name", "school_year", "status", "based_on", "notes", "created_by", "created_at",
                  "updated_at", "published_by", "published_at", "members"]
        read_only_fields = fields


class PlanCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    school_year = serializers.IntegerField(min_value=2000, max_value=2100)
    based_on = serializers.PrimaryKeyRelatedField(queryset=CatchmentPlan.objects.all(), required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    school = serializers.CharField(max_length=32)
    zones = serializers.ListField(child=serializers.CharField(max_length=17), min_length=1, max_length=5000)
    weight = serializers.FloatField(required=False, default=1.0, min_value=0.01, max_value=100)


class MoveSerializer(serializers.Serializer):
    grids = serializers.ListField(child=serializers.CharField(max_length=17), min_length=1)
    to = serializers.CharField(help_text="school code, or the key of a proposed school")
    # 'from' is a Python keyword, so the field is put into the class namespace by name.
    locals()["from"] = serializers.CharField(required=False, allow_null=True, help_text="school code; omit to share")


class NewSchoolSerializer(serializers.Serializer):
    key = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    level = serializers.ChoiceField(choices=["primary", "junior"])
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    seats_per_grade = serializers.JSONField(help_text="seats in each grade: one number, or a list per grade")
    grids = serializers.ListField(child=serializers.CharField(), required=False)
    mode = serializers.ChoiceField(choices=["move", "share"], required=False)


class WhatIfSerializer(serializers.Serializer):
    """The types of a what-if body (checked by the views first); `whatif.build_scenario` then
    checks what the values mean, naming each field."""

    moves = MoveSerializer(many=True, required=False)
    new_schools = NewSchoolSerializer(many=True, required=False)
    year = serializers.IntegerField(required=False)
    birth_rate = serializers.FloatField(required=False)
    migration_hukou = serializers.FloatField(required=False)
    migration_non_hukou = serializers.FloatField(required=False)
    towns = serializers.JSONField(required=False)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    commit = serializers.BooleanField(required=False, default=False)
    plan = serializers.IntegerField(required=False, help_text="catchments: the draft to replace")
    name = serializers.CharField(required=False, help_text="catchments: the name of a new draft")
