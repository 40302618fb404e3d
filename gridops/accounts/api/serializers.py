"""Serializers of the accounts API."""
from django.contrib.auth import authenticate, get_user_model
from rest_framework import serializers

from ..models import Profile


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        # The same name the login page's form would match (stripped by the field, then NFKC), so
        # both ways in accept the same spellings and share one rate-limit bucket.
        username = get_user_model().normalize_username(attrs["username"])
        user = authenticate(self.context.get("request"), username=username, password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError({"password": "wrong username or password"})
        attrs["user"] = user
        return attrs


class MeSerializer(serializers.Serializer):
    """Who the signed-in user is for the apps: role, jurisdiction, department, micro-grids."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    role_label = serializers.CharField(allow_null=True)
    display_name = serializers.CharField()
    zone = serializers.DictField(allow_null=True)
    department = serializers.DictField(allow_null=True)
    grids = serializers.ListField(child=serializers.CharField())


def me_data(user, profile: Profile | None, role: str | None) -> dict:
    from ..models import Role

    return {
        "id": user.pk,
        "username": user.get_username(),
        "role": role,
        "role_label": Role(role).label if role else None,
        "display_name": (profile.display_name if profile else "") or user.get_username(),
        "zone": ({"code": profile.zone.code, "name": profile.zone.name, "level": profile.zone.level}
                 if profile and profile.zone_id else None),
        "department": ({"code": profile.department.code, "name": profile.department.name}
                       if profile and profile.department_id else None),
        "grids": list(profile.grids.values_list("code", flat=True)) if profile else [],
    }
