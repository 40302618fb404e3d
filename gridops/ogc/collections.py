"""The collections registered in `GRIDOPS_OGC_COLLECTIONS`, and their features as GeoJSON.

Each collection's features come from its source (a model, or a callable(user) → QuerySet
that applies the owning app's visibility rule, e.g. `incidents_visible_to`), so the OGC API
shows exactly what the app's own API shows to the same user. Geometry is written by the one
RFC 7946 helper (`geodata.geojson.AsRFC7946`: counter-clockwise rings, the asked CRS).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db.models import Model, QuerySet
from django.utils.module_loading import import_string

from geodata.geojson import AsRFC7946
from geodata.selectors import zone_extent
from gridops.core.errors import InvalidInput, NotAuthenticated, NotFound

from .crs import CRS84, EPSG, Crs
from .params import ItemQuery

STORAGE_CRS = EPSG.format(4326)
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    source: str
    geometry: str
    id_field: str
    properties: dict[str, str]
    queryables: tuple[str, ...]
    filter: dict[str, Any]
    datetime: str | None = None
    tiles: str | None = None
    private: bool = False

    @property
    def has_generations(self) -> bool:
        """Whether the source is versioned by boundary generation (the zones): then the items take
        `generation` / `date` and serve the current generation without them."""
        source = import_string(self.source)
        return isinstance(source, type) and hasattr(source.objects, "in_generation")

    def queryset(self, user, generation=None) -> QuerySet:
        """Everything `user` may see of the collection (401 for a private one without a user);
        for a versioned source, of `generation` (None: the current one)."""
        if self.private and user is None:
            raise NotAuthenticated(f"collection {self.id!r} needs a signed-in user (token or session)")
        source = import_string(self.source)
        if isinstance(source, type) and issubclass(source, Model):
            qs = source.objects.of(generation) if self.has_generations else source.objects.all()
        else:
            qs = source(user) if self.private else source()
        return qs.filter(**self.filter) if self.filter else qs

    def extent(self) -> dict:
        box = zone_extent()
        extent = {"spatial": {"bbox": [list(box) if box else [-180, -90, 180, 90]], "crs": CRS84}}
        if self.datetime:
            extent["temporal"] = {"interval": [[None, None]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
        return extent

    def filtered(self, qs: QuerySet, query: ItemQuery) -> QuerySet:
        if query.bbox is not None:
            qs = qs.filter(**{f"{self.geometry}__intersects": query.bbox})
        if query.interval and self.datetime:
            start, end = query.interval
            if start:
                qs = qs.filter(**{f"{self.datetime}__gte": start})
            if end:
                qs = qs.filter(**{f"{self.datetime}__lte": end})
        for name, value in query.properties.items():
            lookup = self.properties[name]
            field = qs.model._meta.get_field(lookup.split("__")[0])
            if field.get_internal_type() == "BooleanField":
                if value.lower() not in BOOLEANS:
                    raise InvalidInput(f"{name} must be true or false", field=name)
                value = BOOLEANS[value.lower()]
            qs = qs.filter(**{lookup: value})
        return qs

    def features(self, qs: QuerySet, crs: Crs) -> list[dict]:
        lookups = list(dict.fromkeys([self.id_field, *self.properties.values()]))
        rows = qs.annotate(ogc_geometry=AsRFC7946(self.geometry, srid=crs.srid, flip=crs.north_first,
                                                  precision=crs.precision)).values_list(*lookups, "ogc_geometry")
        features = []
        for row in rows:
            values = dict(zip(lookups, row))
            properties = {name: _plain(values[lookup]) for name, lookup in self.properties.items()}
            features.append({"type": "Feature", "id": _plain(values[self.id_field]),
                             "geometry": json.loads(row[-1]) if row[-1] else None, "properties": properties})
        return features

    def one(self, user, feature_id: str, crs: Crs, generation=None) -> dict:
        try:
            found = self.features(self.queryset(user, generation).filter(**{self.id_field: feature_id})[:1], crs)
        except (ValueError, ValidationError):
            found = []
        if not found:
            raise NotFound(f"no feature {feature_id!r} in {self.id!r}", field="featureId")
        return found[0]


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@cache
def registry() -> dict[str, Collection]:
    table = {}
    for cid, spec in getattr(settings, "GRIDOPS_OGC_COLLECTIONS", {}).items():
        table[cid] = Collection(id=cid, title=spec.get("title", cid), source=spec["source"],
                                geometry=spec["geometry"], id_field=spec.get("id", "pk"),
                                properties=dict(spec.get("properties", {})),
                                queryables=tuple(spec.get("queryables", ())), filter=dict(spec.get("filter", {})),
                                datetime=spec.get("datetime"), tiles=spec.get("tiles"),
                                private=bool(spec.get("private")))
    return table


def collection(cid: str) -> Collection:
    try:
        return registry()[cid]
    except KeyError:
        raise NotFound(f"no collection {cid!r}", field="collectionId") from None


def _reset(setting, **kwargs):
    if setting == "GRIDOPS_OGC_COLLECTIONS":
        registry.cache_clear()


setting_changed.connect(_reset)
