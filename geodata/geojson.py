"""GeoJSON as RFC 7946 wants it, written in one place for SQL and for files.

RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise. PostGIS and GEOS keep
whatever orientation the geometry came with (the Chancheng grid's rings are clockwise, and unions
come out clockwise), so every GeoJSON the project writes goes through one of these:

- `as_geojson_sql(expr)`: the SQL expression for a geometry column or expression, oriented with
  `ST_ForcePolygonCCW` (points and lines pass unchanged) — used by the zones API, command
  centres and the education map;
- `file_write_options(driver)`: GDAL's own RFC 7946 mode for GeoJSON files (winding, WGS84,
  no `crs` member) — used by the zone and education exports.
"""
from __future__ import annotations

from django.db.models import Func, TextField

PRECISION = 6  # decimal degrees: about 0.1 m, well below the data's accuracy


def as_geojson_sql(expr: str, precision: int = PRECISION) -> str:
    """`ST_AsGeoJSON` of `expr` with RFC 7946 ring orientation."""
    return f"ST_AsGeoJSON(ST_ForcePolygonCCW({expr}), {int(precision)})"


def file_write_options(driver: str) -> dict:
    """Extra `GeoDataFrame.to_file(..., engine="pyogrio")` arguments for a driver."""
    if driver == "GeoJSON":
        return {"layer_options": {"RFC7946": "YES"}}
    return {}


class AsRFC7946(Func):
    """`as_geojson_sql` as an ORM expression, for querysets that stream features (the OGC API).

    `srid` other than 4326 transforms first; `flip` swaps the axes for a CRS whose first axis
    is north (EPSG:4490, EPSG:4547 declare latitude/northing first, and OGC API – Features
    Part 2 writes coordinates in the CRS's own axis order). Orientation is forced after the
    transform, since a flip mirrors the rings.
    """

    output_field = TextField()

    def __init__(self, expression, *, srid: int = 4326, flip: bool = False, precision: int = PRECISION):
        inner = "%(expressions)s"
        if int(srid) != 4326:
            inner = f"ST_Transform({inner}, {int(srid)})"
        if flip:
            inner = f"ST_FlipCoordinates({inner})"
        self.template = as_geojson_sql(inner, precision)
        super().__init__(expression)
