"""DRF serializer helpers for the hot paths: fields built once per class, points without GDAL.

DRF builds a serializer's fields every time one is instantiated: it deep-copies the declared
fields and, for a ModelSerializer, introspects the model and derives each field's arguments
again. For the incident feature (40 fields) and the report's input that was about a fifth of
the intake view's CPU (issue 13; cProfile on the CPU clock), to produce the same fields every
time: they depend only on the class (its `Meta` and declarations), never on the instance or the
context.

`PrebuiltFieldsMixin` builds them on the class's first use and hands each instance copies: a
shallow copy of a plain field (binding sets the copy's own name, parent, label and source), a
deep copy (DRF's own) of anything holding other fields (nested serializers, many-related
fields), so no two serializers ever share a bound field. A serializer whose fields depend on
the request must not use it.
"""
from __future__ import annotations

import copy

from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import Point
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework_gis.fields import GeoJsonDict, GeometryField

_NESTED = (serializers.BaseSerializer, ManyRelatedField)


class PrebuiltFieldsMixin:
    def get_fields(self):
        template = type(self).__dict__.get("_prebuilt_fields")
        if template is None:
            # Two threads may build it at once; both results are equal and either may stay.
            template = super().get_fields()
            type(self)._prebuilt_fields = template
        return {name: copy.deepcopy(field) if isinstance(field, _NESTED) else _shallow_copy(field)
                for name, field in template.items()}


def _shallow_copy(field):
    """What `copy.copy` makes of a DRF field (a new object with the same attributes), without its
    generic route (`__reduce_ex__`, `copyreg`, DRF's `Field.__new__`, `_reconstruct`): that route
    was 0.86 of the incident feature's 2.6 s per 500 replies under cProfile, 38 fields a reply."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


class PointGeoJsonField(GeometryField):
    """A point's GeoJSON geometry from its coordinates.

    rest_framework_gis writes every geometry through GDAL: it builds an OGR geometry with its
    spatial reference and exports JSON, twice per value (`if value.geojson`, then again), then
    parses the text back: ~220 µs a feature, and each of those C calls hands the GIL away and waits
    to get it back behind the worker's other threads (issue 13's intake profile: 11 % of a worker's
    samples sat in GEOS/GDAL calls, the reply's geometry a third of them). A point is two numbers:
    the same object, the coordinates exactly as stored. Other geometry types keep DRF-gis's path.
    """

    def to_representation(self, value):
        if not isinstance(value, Point):  # None, a dict, another geometry type: DRF-gis's own path
            return super().to_representation(value)
        return GeoJsonDict((("type", "Point"), ("coordinates", list(value.coords) if not value.empty else [])))


class PointFeatureMixin:
    """For a GeoFeatureModelSerializer: model point fields are written by `PointGeoJsonField`."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, gis_models.PointField) and field_class is GeometryField:
            field_class = PointGeoJsonField
        return field_class, kwargs
