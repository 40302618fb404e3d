"""DRF serializers whose fields are built once per class, not once per instance.

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

from rest_framework import serializers
from rest_framework.relations import ManyRelatedField

_NESTED = (serializers.BaseSerializer, ManyRelatedField)


class PrebuiltFieldsMixin:
    def get_fields(self):
        template = type(self).__dict__.get("_prebuilt_fields")
        if template is None:
            # Two threads may build it at once; both results are equal and either may stay.
            template = super().get_fields()
            type(self)._prebuilt_fields = template
        return {name: copy.deepcopy(field) if isinstance(field, _NESTED) else copy.copy(field)
                for name, field in template.items()}
