"""The coordinate reference systems the OGC API serves (Features Part 2, CRS by reference).

Stored data is EPSG:4326 (longitude, latitude in the database). CRS84 is the default and is
written lon/lat; EPSG:4490 (CGCS2000 geographic) and EPSG:4547 (CGCS2000 / 3-degree GK CM 114E,
the planners' metric grid) declare north first, so coordinates are written in that order, as
Part 2 requires (GDAL and QGIS read them so). The axis order is taken from PROJ's definition,
not written by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pyproj

from gridops.core.errors import InvalidInput

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
SUPPORTED_EPSG = (4490, 4547, 4326)


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    north_first: bool  # first axis is latitude / northing: coordinates are swapped on the way out and in
    precision: int  # decimals: about 0.1 m in degrees, 1 mm in metres


@cache
def supported() -> dict[str, Crs]:
    table = {CRS84: Crs(CRS84, 4326, False, 6)}
    for code in SUPPORTED_EPSG:
        proj = pyproj.CRS.from_epsg(code)
        north = proj.axis_info[0].direction.lower() == "north"
        table[EPSG.format(code)] = Crs(EPSG.format(code), code, north, 6 if proj.is_geographic else 3)
    return table


def parse(value: str | None, field: str) -> Crs:
    """The CRS named by a `crs` / `bbox-crs` parameter (its URI, or a `[EPSG:4490]`-style CURIE)."""
    if value in (None, ""):
        return supported()[CRS84]
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text.upper().startswith("EPSG:"):
        text = EPSG.format(text[5:])
    elif text.upper() == "OGC:CRS84":
        text = CRS84
    try:
        return supported()[text]
    except KeyError:
        raise InvalidInput(f"unsupported CRS {value!r}; use one of {', '.join(supported())}", field=field) from None
