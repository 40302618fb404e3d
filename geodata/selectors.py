"""Reads of the spatial core: where a point belongs, and zones as GeoJSON.

Locate is the hottest query in GridOps (every report, ping and check-in calls it), so it is one
SQL statement: the micro-grid whose polygon intersects the point (GiST index), joined up its
parent chain and to its town's command centre. A point on a shared boundary intersects several
grids; the lowest code wins, so the answer is deterministic.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import connection

from .geojson import as_geojson_sql
from .models import CommandCentre, Level, Zone

_CHAIN_COLUMNS = ["id", "code", "name", "level", "parent_id", "residents", "households"]
_ALIASES = ["d", "t", "a", "v", "g"]  # district → grid
_CHAIN_SELECT = ", ".join(f"{alias}.{col}" for alias in _ALIASES for col in _CHAIN_COLUMNS)
_CHAIN_JOINS = """
    JOIN geodata_zone v ON v.id = g.parent_id
    JOIN geodata_zone a ON a.id = v.parent_id
    JOIN geodata_zone t ON t.id = a.parent_id
    JOIN geodata_zone d ON d.id = t.parent_id
    LEFT JOIN geodata_commandcentre c ON c.zone_id = t.id
"""
_CENTRE_SELECT = "c.id, c.code, c.name, ST_X(c.location), ST_Y(c.location)"

LOCATE_ONE_SQL = f"""
SELECT {_CHAIN_SELECT}, {_CENTRE_SELECT}
FROM geodata_zone g {_CHAIN_JOINS}
WHERE g.level = {int(Level.GRID)} AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
ORDER BY g.code
LIMIT 1
"""

LOCATE_MANY_SQL = f"""
SELECT p.i, {_CHAIN_SELECT}, {_CENTRE_SELECT}
FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(lon, lat, i)
JOIN LATERAL (
    SELECT z.id, z.parent_id FROM geodata_zone z
    WHERE z.level = {int(Level.GRID)} AND ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
    ORDER BY z.code LIMIT 1
) hit ON true
JOIN geodata_zone g ON g.id = hit.id {_CHAIN_JOINS}
"""


@dataclass(frozen=True)
class LocateResult:
    """A located point: its zone chain (district → micro-grid) and responsible command centre.

    Zones carry code, name, level, parent and population; their geometry is deferred (loaded
    only if a caller touches it), which keeps locate cheap.
    """

    chain: list[Zone]
    command_centre: CommandCentre | None = field(default=None)

    @property
    def grid(self) -> Zone:
        return self.chain[-1]

    @property
    def village(self) -> Zone:
        return self.chain[Level.VILLAGE]

    @property
    def area(self) -> Zone:
        return self.chain[Level.AREA]

    @property
    def town(self) -> Zone:
        return self.chain[Level.TOWN]

    @property
    def district(self) -> Zone:
        return self.chain[Level.DISTRICT]


def _result_from_row(row) -> LocateResult:
    width = len(_CHAIN_COLUMNS)
    chain = [
        Zone.from_db("default", _CHAIN_COLUMNS, row[i * width:(i + 1) * width]) for i in range(len(_ALIASES))
    ]
    centre_values = row[len(_ALIASES) * width:]
    centre = None
    if centre_values[0] is not None:
        from django.contrib.gis.geos import Point

        centre = CommandCentre(
            id=centre_values[0], code=centre_values[1], name=centre_values[2],
            zone=chain[Level.TOWN], location=Point(centre_values[3], centre_values[4], srid=4326),
        )
    return LocateResult(chain=chain, command_centre=centre)


def locate_point(lon: float, lat: float) -> LocateResult | None:
    """The micro-grid (and its chain) holding a WGS84 point, or None outside the district."""
    with connection.cursor() as cursor:
        cursor.execute(LOCATE_ONE_SQL, [lon, lat])
        row = cursor.fetchone()
    return None if row is None else _result_from_row(row)


def locate_many(points: list[tuple[float, float]]) -> list[LocateResult | None]:
    """Locate many WGS84 points in one statement; the result list is aligned with the input."""
    results: list[LocateResult | None] = [None] * len(points)
    if not points:
        return results
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    with connection.cursor() as cursor:
        cursor.execute(LOCATE_MANY_SQL, [lons, lats])
        for row in cursor.fetchall():
            results[row[0] - 1] = _result_from_row(row[1:])
    return results


_LEVEL_NAMES = [level.name.lower() for level in Level]


def _dict_from_row(row) -> dict:
    """The locate API's JSON for one row, built straight from it: the batch path builds 10,000
    of these, and model instances would cost more than the query itself."""
    width = len(_CHAIN_COLUMNS)
    chain = [
        {"level": _LEVEL_NAMES[i], "code": row[i * width + 1], "name": row[i * width + 2]}
        for i in range(len(_ALIASES))
    ]
    centre = row[len(_ALIASES) * width:]
    return {
        "chain": chain,
        "grid": {"code": chain[-1]["code"], "name": chain[-1]["name"]},
        "town": {"code": chain[Level.TOWN]["code"], "name": chain[Level.TOWN]["name"]},
        "command_centre": (
            None if centre[0] is None
            else {"code": centre[1], "name": centre[2], "lon": centre[3], "lat": centre[4]}
        ),
    }


def locate_point_as_dict(lon: float, lat: float) -> dict | None:
    """`locate_point` in the locate API's JSON shape (None outside the district)."""
    with connection.cursor() as cursor:
        cursor.execute(LOCATE_ONE_SQL, [lon, lat])
        row = cursor.fetchone()
    return None if row is None else _dict_from_row(row)


def locate_many_as_dicts(points: list[tuple[float, float]]) -> list[dict | None]:
    """`locate_many` for the HTTP batch: plain dicts in the locate API's shape, input order."""
    results: list[dict | None] = [None] * len(points)
    if not points:
        return results
    with connection.cursor() as cursor:
        cursor.execute(LOCATE_MANY_SQL, [[p[0] for p in points], [p[1] for p in points]])
        for row in cursor.fetchall():
            results[row[0] - 1] = _dict_from_row(row[1:])
    return results


# --- zones as GeoJSON ------------------------------------------------------------------------

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


def level_name_sql(column: str) -> str:
    """SQL for a zone level's name (`town`, `grid`, …): the API writes the level as the `level`
    query parameter spells it."""
    names = ", ".join(f"'{name}'" for name in _LEVEL_NAMES)
    return f"(ARRAY[{names}])[{column} + 1]"


def _geom_expression(tolerance: float) -> str:
    if tolerance > 0:
        # ST_Multi: GEOS returns a one-part MultiPolygon simplified as a Polygon.
        return "ST_Multi(ST_SimplifyPreserveTopology(z.geom, %s))"
    return "z.geom"


def zones_feature_collection(*, level: int | None = None, parent_code: str | None = None,
                             code: str | None = None, tolerance: float = 0.0) -> str:
    """GeoJSON text for the zones matching the filters, built in PostGIS (no per-row Python)."""
    where, params = [], []
    if tolerance > 0:
        params.append(tolerance)
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


def zone_by_code(code: str) -> Zone | None:
    return Zone.objects.select_related("parent").defer("geom").filter(code=code).first()


@dataclass(frozen=True)
class NamedPlace:
    """A zone found by its name in an address: where to put a point, and how rough it is."""

    code: str
    name: str
    lon: float
    lat: float
    radius_m: float


NAMED_PLACE_SQL = """
SELECT z.code, z.name, ST_X(p.pt), ST_Y(p.pt), sqrt(z.area_m2 / pi())
FROM geodata_zone z CROSS JOIN LATERAL (SELECT ST_PointOnSurface(z.geom) AS pt) p
WHERE z.level >= %(level)s AND char_length(z.name) >= 2 AND strpos(%(text)s, z.name) > 0
ORDER BY z.level DESC, char_length(z.name) DESC, z.code
LIMIT 1
"""


def place_named_in(text: str, *, min_level: Level = Level.VILLAGE) -> NamedPlace | None:
    """The smallest zone (community or micro-grid) whose name the address text contains.

    Our only gazetteer is the zone tree, so this is how an address without coordinates is placed
    (Open311's `address_string`): the point is the zone's point on surface, and the radius of a
    circle of the zone's area says how rough it is. Towns and areas are too large to place a case.
    """
    text = (text or "").strip()
    if not text:
        return None
    with connection.cursor() as cursor:
        cursor.execute(NAMED_PLACE_SQL, {"level": int(min_level), "text": text})
        row = cursor.fetchone()
    return NamedPlace(row[0], row[1], row[2], row[3], float(row[4] or 0)) if row else None


def zone_chain(zone: Zone) -> list[Zone]:
    """Ancestors from the district down to the zone itself (the code prefixes)."""
    prefixes = [zone.code[:n] for n in (6, 9, 11, 14, 17) if n <= len(zone.code)]
    return list(Zone.objects.defer("geom").filter(code__in=prefixes).order_by("level"))


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


def etag_for(*parts: object) -> str:
    return '"' + hashlib.md5("|".join(map(str, parts)).encode()).hexdigest() + '"'


def zone_extent(code: str | None = None) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the zone `code`, or of the district when None
    (a page opens on the jurisdiction it serves, all of it in view)."""
    from django.contrib.gis.db.models import Extent

    zones = Zone.objects.filter(code=code) if code else Zone.objects.filter(level=Level.DISTRICT)
    return zones.aggregate(box=Extent("geom"))["box"]
