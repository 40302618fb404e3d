"""Reads of the spatial core: where a point belongs, and zones as GeoJSON.

Locate is the hottest query in GridOps (every report, ping and check-in calls it), so it is one
SQL statement: the micro-grid whose polygon intersects the point (GiST index), joined up its
parent chain and to its town's command centre. A point on a shared boundary intersects several
grids; the lowest code wins, so the answer is deterministic.

Every read here serves the current boundary generation unless given one (`generation`: a
`Generation` or its id; `generation_from_params` turns `?generation=N` / `?date=YYYY-MM-DD` into
one). A zone's parent chain is always of the zone's own generation, so it is followed by parent_id.
"""
from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from django.db import connection

from gridops.core import prepared
from gridops.core.errors import InvalidInput, NotFound

from .geojson import as_geojson_sql
from .models import CommandCentre, Generation, Level, Zone

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

# Zones of the current generation; of generation %(gen)s. The current form is written out so the
# planner matches locate's partial index of current micro-grids (`zone_current_grid_geom`).
CURRENT_SQL = "{z}.generation_high_id IS NULL"
IN_GENERATION_SQL = "{z}.generation_low_id <= %s AND ({z}.generation_high_id IS NULL OR {z}.generation_high_id >= %s)"


def generation_where(alias: str, generation) -> tuple[str, list]:
    """SQL condition (and its parameters) for `alias`'s zones being valid in `generation` (None:
    current) — the one place raw SQL of this module says which generation it reads."""
    if generation is None:
        return CURRENT_SQL.format(z=alias), []
    gid = int(getattr(generation, "pk", generation))
    return IN_GENERATION_SQL.format(z=alias), [gid, gid]


# Command centres are current facts: in an older generation's chain, the town's centre is the one
# responsible today for the town of that code.
_HISTORIC_CENTRE_JOIN = _CHAIN_JOINS.replace(
    "LEFT JOIN geodata_commandcentre c ON c.zone_id = t.id",
    "LEFT JOIN geodata_zone tc ON tc.code = t.code AND tc.generation_high_id IS NULL\n"
    "    LEFT JOIN geodata_commandcentre c ON c.zone_id = tc.id")


def _locate_one_sql(where: str, joins: str = _CHAIN_JOINS) -> str:
    return f"""
SELECT {_CHAIN_SELECT}, {_CENTRE_SELECT}
FROM geodata_zone g {joins}
WHERE g.level = {int(Level.GRID)} AND {where} AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
ORDER BY g.code
LIMIT 1
"""


def _locate_many_sql(where: str, joins: str = _CHAIN_JOINS) -> str:
    return f"""
SELECT p.i, {_CHAIN_SELECT}, {_CENTRE_SELECT}
FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(lon, lat, i)
JOIN LATERAL (
    SELECT z.id, z.parent_id FROM geodata_zone z
    WHERE z.level = {int(Level.GRID)} AND {where} AND ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
    ORDER BY z.code LIMIT 1
) hit ON true
JOIN geodata_zone g ON g.id = hit.id {joins}
"""


LOCATE_ONE_SQL = _locate_one_sql(CURRENT_SQL.format(z="g"))
LOCATE_MANY_SQL = _locate_many_sql(CURRENT_SQL.format(z="z"))
_LOCATE_ONE_IN_GENERATION_SQL = _locate_one_sql(IN_GENERATION_SQL.format(z="g"), _HISTORIC_CENTRE_JOIN)
_LOCATE_MANY_IN_GENERATION_SQL = _locate_many_sql(IN_GENERATION_SQL.format(z="z"), _HISTORIC_CENTRE_JOIN)


def _locate_one(lon: float, lat: float, generation):
    if generation is None:
        sql, params = LOCATE_ONE_SQL, [lon, lat]
    else:
        sql, params = _LOCATE_ONE_IN_GENERATION_SQL, [*generation_where("g", generation)[1], lon, lat]
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)  # planning it cost five times running it
        return cursor.fetchone()


def _locate_many(points: list[tuple[float, float]], generation) -> list:
    coordinates = [[p[0] for p in points], [p[1] for p in points]]
    if generation is None:
        sql, params = LOCATE_MANY_SQL, coordinates
    else:  # the generation's placeholders come after the two arrays in the statement
        sql, params = _LOCATE_MANY_IN_GENERATION_SQL, [*coordinates, *generation_where("z", generation)[1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- generations ----------------------------------------------------------------------------

GENERATION_PARAMS = ("generation", "date")


def generation_from_params(params) -> Generation | None:
    """`?generation=N` or `?date=YYYY-MM-DD` (the generation in force that day) → that generation;
    None when neither is given or the one asked for is the current one (callers then take the
    current generation's fast path). 400 for a malformed value, 404 for an unknown generation."""
    found = generation_asked(params)
    return None if found is None or found.valid_to is None else found


def generation_asked(params) -> Generation | None:
    """The generation `?generation=N` or `?date=YYYY-MM-DD` names (the current one included), or
    None when neither is given."""
    raw_generation, raw_date = params.get("generation") or "", params.get("date") or ""
    if raw_generation and raw_date:
        raise InvalidInput("give generation or date, not both", field="date")
    if raw_generation:
        if not (raw_generation.isascii() and raw_generation.isdigit()):
            raise InvalidInput("generation must be a whole number", field="generation")
        found = Generation.objects.filter(pk=int(raw_generation)).first() if len(raw_generation) < 10 else None
        if found is None:
            raise NotFound(f"no generation {raw_generation}", field="generation")
    elif raw_date:
        try:
            day = datetime.date.fromisoformat(raw_date)
        except ValueError:
            raise InvalidInput("date must be YYYY-MM-DD", field="date") from None
        found = Generation.objects.in_force_on(day)
        if found is None:
            raise NotFound("no boundary generation is loaded", field="date")
    else:
        return None
    return found


def generation_in_force_at(moment: datetime.datetime) -> Generation | None:
    """The generation in force at `moment` (its local day), None when that is the current one."""
    from django.utils import timezone

    day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    found = Generation.objects.in_force_on(day)
    return None if found is None or found.valid_to is None else found


def generations_list() -> list[dict]:
    """Every generation, oldest first, with its validity and zone count (the zones API lists them)."""
    rows = []
    for g in Generation.objects.order_by("id"):
        rows.append({"id": g.pk, "description": g.description, "valid_from": g.valid_from.isoformat(),
                     "valid_to": g.valid_to.isoformat() if g.valid_to else None, "current": g.valid_to is None,
                     "created": g.created.isoformat(), "zones": Zone.objects.in_generation(g).count()})
    return rows


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


def locate_point(lon: float, lat: float, *, generation=None) -> LocateResult | None:
    """The micro-grid (and its chain) holding a WGS84 point, or None outside the district;
    in the current generation unless given one."""
    row = _locate_one(lon, lat, generation)
    return None if row is None else _result_from_row(row)


def locate_many(points: list[tuple[float, float]], *, generation=None) -> list[LocateResult | None]:
    """Locate many WGS84 points in one statement; the result list is aligned with the input."""
    results: list[LocateResult | None] = [None] * len(points)
    if not points:
        return results
    for row in _locate_many(points, generation):
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


def locate_point_as_dict(lon: float, lat: float, *, generation=None) -> dict | None:
    """`locate_point` in the locate API's JSON shape (None outside the district)."""
    row = _locate_one(lon, lat, generation)
    return None if row is None else _dict_from_row(row)


def locate_many_as_dicts(points: list[tuple[float, float]], *, generation=None) -> list[dict | None]:
    """`locate_many` for the HTTP batch: plain dicts in the locate API's shape, input order."""
    results: list[dict | None] = [None] * len(points)
    if not points:
        return results
    for row in _locate_many(points, generation):
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
WHERE z.level >= %(level)s AND z.generation_high_id IS NULL AND char_length(z.name) >= 2 AND strpos(%(text)s, z.name) > 0
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
    """Ancestors from the district down to the zone itself (the code prefixes), of the zone's own
    generation: its ancestors are valid wherever it is, so those of its first generation."""
    prefixes = [zone.code[:n] for n in (6, 9, 11, 14, 17) if n <= len(zone.code)]
    return list(Zone.objects.in_generation(zone.generation_low_id).defer("geom").filter(code__in=prefixes)
                .order_by("level"))


def zone_children_count(zone: Zone, *, generation=None) -> int:
    return Zone.objects.of(generation).filter(parent=zone).count()


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
