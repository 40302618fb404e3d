"""Where a point belongs: its micro-grid, the zone chain above it and its command centre.

The rule: the micro-grid whose polygon intersects the point, joined up its parent chain and to
its town's command centre. A point on a shared boundary intersects several grids; the lowest code
wins, so the answer is deterministic. A zone's parent chain is always of the zone's own
generation, so it is followed by parent_id.

Locate is the hottest read in GridOps (every report, ping and check-in calls it). It is answered
from the generation's micro-grids held in the process (`locate_index`), not by a statement per
call. `LOCATE_ONE_SQL` / `LOCATE_MANY_SQL` state the same rule in PostGIS: the tests hold the
index equal to them, and `bench locate` measures them as the database's floor.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import CommandCentre, Level, Zone
from .generations import CURRENT_SQL, IN_GENERATION_SQL
from .locate_index import CHAIN_COLUMNS, index_for
from .zones import LEVEL_NAMES

_CHAIN_COLUMNS = list(CHAIN_COLUMNS)
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
LOCATE_ONE_IN_GENERATION_SQL = _locate_one_sql(IN_GENERATION_SQL.format(z="g"), _HISTORIC_CENTRE_JOIN)
LOCATE_MANY_IN_GENERATION_SQL = _locate_many_sql(IN_GENERATION_SQL.format(z="z"), _HISTORIC_CENTRE_JOIN)


def _locate_one(lon: float, lat: float, generation):
    return index_for(generation).row(lon, lat)


def _locate_many(points: list[tuple[float, float]], generation, build: Callable) -> list:
    """`build` of each point's row, aligned with `points` (None for a point outside the district)."""
    return [None if row is None else build(row) for row in index_for(generation).rows(points)]


def _zone_at(level: Level) -> property:
    """The chain's zone at `level` (the chain runs district → micro-grid, one zone per level)."""
    return property(lambda self: self.chain[level], doc=f"The {level.name.lower()} of the chain.")


@dataclass(frozen=True)
class LocateResult:
    """A located point: its zone chain (district → micro-grid) and responsible command centre.

    Zones carry code, name, level, parent and population; their geometry is deferred (loaded
    only if a caller touches it), which keeps locate cheap.
    """

    chain: list[Zone]
    command_centre: CommandCentre | None = field(default=None)

    district = _zone_at(Level.DISTRICT)
    town = _zone_at(Level.TOWN)
    area = _zone_at(Level.AREA)
    village = _zone_at(Level.VILLAGE)
    grid = _zone_at(Level.GRID)


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


def _dict_from_row(row) -> dict:
    """The locate API's JSON for one row, built straight from it: the batch path builds 10,000
    of these, and model instances would cost more than the query itself."""
    width = len(_CHAIN_COLUMNS)
    chain = [
        {"level": LEVEL_NAMES[i], "code": row[i * width + 1], "name": row[i * width + 2]}
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


def locate_point(lon: float, lat: float, *, generation=None) -> LocateResult | None:
    """The micro-grid (and its chain) holding a WGS84 point, or None outside the district;
    in the current generation unless given one."""
    row = _locate_one(lon, lat, generation)
    return None if row is None else _result_from_row(row)


def locate_many(points: list[tuple[float, float]], *, generation=None) -> list[LocateResult | None]:
    """Locate many WGS84 points in one statement; the result list is aligned with the input."""
    return _locate_many(points, generation, _result_from_row)


@dataclass(frozen=True)
class GridTown:
    """The micro-grid and town holding a point, by id and code: what a position ping stores."""

    grid_id: int
    grid_code: str
    town_id: int
    town_code: str


def _grid_town_from_row(row) -> GridTown:
    width = len(_CHAIN_COLUMNS)
    grid, town = Level.GRID * width, Level.TOWN * width  # the chain runs by level, district first
    return GridTown(grid_id=row[grid], grid_code=row[grid + 1], town_id=row[town], town_code=row[town + 1])


def locate_many_grid_town(points: list[tuple[float, float]], *, generation=None) -> list[GridTown | None]:
    """`locate_many` reduced to grid and town (ids and codes), straight from the rows: a tablet's
    batch of pings needs no zone objects (building them was a fifth of a ping batch's CPU)."""
    return _locate_many(points, generation, _grid_town_from_row)


def locate_point_as_dict(lon: float, lat: float, *, generation=None) -> dict | None:
    """`locate_point` in the locate API's JSON shape (None outside the district)."""
    row = _locate_one(lon, lat, generation)
    return None if row is None else _dict_from_row(row)


def locate_many_as_dicts(points: list[tuple[float, float]], *, generation=None) -> list[dict | None]:
    """`locate_many` for the HTTP batch: plain dicts in the locate API's shape, input order."""
    return _locate_many(points, generation, _dict_from_row)
