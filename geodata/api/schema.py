"""OpenAPI shapes of the spatial core's responses (documentation only: the bodies are built in SQL).

A client generator turns `object` into an untyped map; these serializers give it the GeoJSON
members, the zone properties and the locate result by name. The tests check that real responses
have exactly these fields, so the schema cannot drift from the SQL.
"""
from __future__ import annotations

from rest_framework import serializers

from geodata.models import Level

LEVEL_NAMES = [level.name.lower() for level in Level]


def _position():
    return serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2,
                                 help_text="[longitude, latitude] in WGS84 (RFC 7946)")


class MultiPolygonGeometry(serializers.Serializer):
    type = serializers.ChoiceField(choices=["MultiPolygon"])
    coordinates = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=_position(), min_length=4)),
        help_text="polygons of rings; exterior rings counter-clockwise, holes clockwise (RFC 7946)")


class PointGeometry(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Point"])
    coordinates = _position()


class ZoneProperties(serializers.Serializer):
    code = serializers.CharField(help_text="statistical code: 6 digits (district) to 17 (micro-grid)")
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=LEVEL_NAMES, help_text="the same names the `level` parameter takes")
    parent = serializers.CharField(allow_null=True, help_text="the parent zone's code (null for the district)")
    area_m2 = serializers.FloatField()
    residents = serializers.IntegerField()
    households = serializers.IntegerField()


def geojson_serializers(name: str, geometry: serializers.Serializer, properties: serializers.Serializer):
    """A `<name>Feature` and its `<name>FeatureCollection` serializer (schema component names)."""
    feature = type(f"{name}Feature", (serializers.Serializer,), {
        "type": serializers.ChoiceField(choices=["Feature"]), "id": serializers.CharField(help_text="the code"),
        "geometry": geometry, "properties": properties})
    collection = type(f"{name}FeatureCollection", (serializers.Serializer,), {
        "type": serializers.ChoiceField(choices=["FeatureCollection"]), "features": feature(many=True)})
    return feature, collection


ZoneFeature, ZoneFeatureCollection = geojson_serializers("Zone", MultiPolygonGeometry(), ZoneProperties())


class ChainLink(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVEL_NAMES)
    code = serializers.CharField()
    name = serializers.CharField()


class ZoneDetailProperties(ZoneProperties):
    chain = ChainLink(many=True, help_text="the zone's ancestors from the district down, and itself")
    children = serializers.IntegerField(help_text="number of child zones")


class ZoneDetailFeature(ZoneFeature):
    properties = ZoneDetailProperties()


class CommandCentreProperties(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    zone_code = serializers.CharField()
    zone_name = serializers.CharField()
    level = serializers.ChoiceField(choices=LEVEL_NAMES, help_text="the level of the zone the centre serves")


CommandCentreFeature, CommandCentreCollection = geojson_serializers(
    "CommandCentre", PointGeometry(), CommandCentreProperties())


class CodeName(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LocatedCentre(CodeName):
    lon = serializers.FloatField()
    lat = serializers.FloatField()


class Located(serializers.Serializer):
    chain = ChainLink(many=True, help_text="district, town, area, village and micro-grid")
    grid = CodeName()
    town = CodeName()
    command_centre = LocatedCentre(allow_null=True)


class LocateInput(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02", "bd09"])


class LonLat(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()


class LocateResult(Located):
    input = LocateInput(help_text="the point as given")
    wgs84 = LonLat(help_text="the point converted to WGS84")


class LocateBatchResult(serializers.Serializer):
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02", "bd09"])
    count = serializers.IntegerField()
    located = serializers.IntegerField(help_text="how many points lie in the district")
    results = serializers.ListField(child=Located(allow_null=True),
                                    help_text="aligned with the input; null for a point outside the district")
