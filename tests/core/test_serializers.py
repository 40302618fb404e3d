"""The hot-path serializer helpers (`gridops.core.serializers`): point features are written from
their coordinates and say exactly what rest_framework_gis's GDAL path said, for every point
serializer; prebuilt fields are handed out as copies equal to `copy.copy`'s, never shared."""
from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import Point
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from gridops.core.serializers import PointGeoJsonField


@pytest.mark.parametrize("point", [
    Point(113.123456789012, 23.0123456789, srid=4326),
    Point(113.1, 23.0, srid=4326),
    Point(-0.5, 1e-7, srid=4326),
    Point(srid=4326),
])
def test_a_point_is_written_as_the_gdal_path_writes_it(point):
    ours = PointGeoJsonField().to_representation(point)
    theirs = GeometryField().to_representation(point)
    assert json.dumps(ours) == json.dumps(theirs)
    assert ours.__class__ is theirs.__class__  # GeoJsonDict, whose str() is JSON


def test_other_geometries_keep_the_gdal_path():
    from django.contrib.gis.geos import Polygon

    square = Polygon(((0, 0), (0, 1), (1, 1), (1, 0), (0, 0)), srid=4326)
    assert PointGeoJsonField().to_representation(square) == GeometryField().to_representation(square)


def test_every_point_feature_serializer_writes_its_points_without_gdal():
    import gridops.approvals.api.serializers as approvals
    import gridops.incidents.api.serializers as incidents
    import gridops.ledger.api.serializers as ledger

    feature_serializers = [cls for module in (approvals, incidents, ledger) for cls in vars(module).values()
                           if isinstance(cls, type) and issubclass(cls, GeoFeatureModelSerializer)
                           and cls.__module__ == module.__name__]
    assert len(feature_serializers) >= 6
    for cls in feature_serializers:
        geo_field = cls().fields[cls.Meta.geo_field]
        assert type(geo_field) is PointGeoJsonField, cls.__name__


def test_prebuilt_fields_are_copies_equal_to_what_copy_copy_makes():
    """`PrebuiltFieldsMixin` hands each serializer its own field objects; its fast shallow copy
    makes what `copy.copy` made (the same attributes, a new object), and binding a copy leaves
    the class's template and every other copy alone."""
    import copy

    from gridops.core.serializers import _shallow_copy
    from gridops.incidents.api.serializers import IncidentFeatureSerializer

    IncidentFeatureSerializer().fields  # builds the class's template
    template = IncidentFeatureSerializer._prebuilt_fields
    for name, field in template.items():
        ours, theirs = _shallow_copy(field), copy.copy(field)
        assert type(ours) is type(theirs) and ours is not field
        assert ours.__dict__ == theirs.__dict__, name
    first, second = IncidentFeatureSerializer(), IncidentFeatureSerializer()
    assert first.fields["status"] is not second.fields["status"]
    assert first.fields["status"].parent is first and second.fields["status"].parent is second
    assert getattr(template["status"], "parent", None) is None
