"""Zones and command centres read back: as GeoJSON built in PostGIS, by code, up and down the tree.

The zones API's ETag comes from `zones_version`, a fingerprint of the data itself, so a cached
copy goes stale whichever path wrote the zones.
"""
from __future__ import annotations

import hashlib

from django.db import connection

from ..geojson import as_geojson_sql
from ..models import CODE_LENGTH, Level, Zone
from .generations import generation_where

# A level as the `level` query parameter spells it (`town`, `grid`, …), by level value.
LEVEL_NAMES = [level.name.lower() for level in Level]


def level_name_sql(column: str) -> str:
    """SQL for a zone level's name (`town`, `grid`, …): the API writes the level as the `level`
    query parameter spells it."""
    names = ", ".join(f"'{name}'" for name in LEVEL_NAMES)
    return f"(ARRAY[{names}])[{column} + 1]"


def zones_version() -> str:
    """A fingerprint of every zone's attributes and geometry: the ETag base of the zones API.

    Computed from the data itself, so any write path (loader, admin, raw SQL) changes it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT md5(coalesce(string_agg(
                concat_ws('|', id, code, name, level, parent_id, residents, households, md5(ST_AsBinary(geom))),
                ',' ORDER BY id), ''))
            FROM geodata_zone
            """
        )
        return cursor.fetchone()[0]


def etag_for(*parts: object) -> str:
    return '"' + hashlib.md5("|".join(map(str, parts)).encode()).hexdigest() + '"'


_FEATURE_SQL = """
json_build_object(
    'type', 'Feature',
    'id', z.code,
    'geometry', {geometry}::json,
    'properties', json_build_object(
        'code', z.code, 'name', z.name, 'level', {level}, 'parent', p.code,
        'area_m2', round(z.area_m2::numeric, 1), 'residents', z.residents, 'households', z.households
    )
)
"""


def _geom_expression(tolerance: float) -> str:
    if tolerance > 0:
        # ST_Multi: GEOS returns a one-part MultiPolygon simplified as a Polygon.
        return "ST_Multi(ST_SimplifyPreserveTopology(z.geom, %s))"
    return "z.geom"


def zones_feature_collection(*, level: int | None = None, parent_code: str | None = None,
                             code: str | None = None, tolerance: float = 0.0, generation=None) -> str:
    """GeoJSON text for the zones matching the filters, built in PostGIS (no per-row Python)."""
    where, params = [], []
    if tolerance > 0:
        params.append(tolerance)
    in_generation, generation_params = generation_where("z", generation)
    where.append(in_generation)
    params.extend(generation_params)
    if level is not None:
        where.append("z.level = %s")
        params.append(level)
    if parent_code is not None:
        where.append("p.code = %s")
        params.append(parent_code)
    if code is not None:
        where.append("z.code = %s")
        params.append(code)
    feature = _FEATURE_SQL.format(geometry=as_geojson_sql(_geom_expression(tolerance)), level=level_name_sql("z.level"))
    sql = f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features',
                                 coalesce(json_agg({feature} ORDER BY z.code), '[]'::json))::text
        FROM geodata_zone z LEFT JOIN geodata_zone p ON p.id = z.parent_id
        {"WHERE " + " AND ".join(where) if where else ""}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def zone_by_code(code: str, *, generation=None) -> Zone | None:
    return Zone.objects.of(generation).select_related("parent").defer("geom").filter(code=code).first()


def zone_chain(zone: Zone) -> list[Zone]:
    """Ancestors from the district down to the zone itself (the code prefixes), of the zone's own
    generation: its ancestors are valid wherever it is, so those of its first generation."""
    prefixes = [zone.code[:n] for n in CODE_LENGTH.values() if n <= len(zone.code)]
    return list(Zone.objects.in_generation(zone.generation_low_id).defer("geom").filter(code__in=prefixes)
                .order_by("level"))


def zone_children_count(zone: Zone, *, generation=None) -> int:
    return Zone.objects.of(generation).filter(parent=zone).count()


def zone_extent(code: str | None = None) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the zone `code`, or of the district when None
    (a page opens on the jurisdiction it serves, all of it in view)."""
    from django.contrib.gis.db.models import Extent

    zones = Zone.objects.filter(code=code) if code else Zone.objects.filter(level=Level.DISTRICT)
    return zones.aggregate(box=Extent("geom"))["box"]


def command_centres_feature_collection(within: str | None = None) -> str:
    """The command centres as GeoJSON; `within`: only those of that zone and the zones under it
    (zone codes extend their parents' codes, so the zone's subtree is the codes it prefixes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', c.code,
                'geometry', {as_geojson_sql("c.location")}::json,
                'properties', json_build_object('code', c.code, 'name', c.name,
                                                'zone_code', z.code, 'zone_name', z.name,
                                                'level', {level_name_sql("z.level")})
            ) ORDER BY c.code), '[]'::json))::text
            FROM geodata_commandcentre c JOIN geodata_zone z ON z.id = c.zone_id
            WHERE starts_with(z.code, %s)
            """,
            [within or ""],
        )
        return cursor.fetchone()[0]
