"""Places named in an address: our only gazetteer is the zone tree."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from ..models import Level


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
