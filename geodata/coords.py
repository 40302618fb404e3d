"""Coordinate systems devices report in, converted to WGS84 (EPSG:4326) on input.

AMap and Baidu SDKs report GCJ-02 and BD-09; the conversion is done by the maintained `prcoords`
library (its precise "bored" inverse, accurate to about a centimetre), never by a hand formula.
Metric work (areas, distances, buffers) uses EPSG:4547, CGCS2000 / 3-degree Gauss-Kruger CM 114E.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable

import prcoords
from django.contrib.gis.geos import Point

from gridops.core.errors import InvalidInput
from gridops.core.numbers import parse_lon_lat, parse_number

METRIC_SRID = 4547
STORAGE_SRID = 4326


class InputCRS(str, enum.Enum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    @classmethod
    def parse(cls, value: str | None) -> "InputCRS":
        """'wgs84' when absent; raises ValueError naming the accepted values otherwise."""
        if isinstance(value, cls):
            return value
        if value is None or value == "":
            return cls.WGS84
        try:
            return cls(str(value).strip().lower().replace("-", ""))
        except ValueError:
            raise ValueError(f"unknown crs {value!r}; use one of wgs84, gcj02, bd09") from None


_TO_WGS84 = {
    InputCRS.WGS84: None,
    InputCRS.GCJ02: prcoords.gcj_wgs_bored,
    InputCRS.BD09: prcoords.bd_wgs_bored,
}


def in_china(lon: float, lat: float) -> bool:
    """Inside the extent where GCJ-02 shifts coordinates (prcoords' own bound, used by its
    checked conversions). Outside it GCJ-02 is WGS84 unchanged: AMap and prcoords' `wgs_gcj`
    return foreign points as they are, and the shift formula itself fails near the poles
    (a `math domain error` at lat -90)."""
    return prcoords.sanity_in_china_p(prcoords.Coords(lat, lon))


def to_wgs84(lon: float, lat: float, crs: InputCRS | str = InputCRS.WGS84) -> tuple[float, float]:
    """(lon, lat) in `crs` → (lon, lat) in WGS84.

    GCJ-02 and BD-09 are shifts applied inside China only (see `in_china`); a point outside that
    extent is taken as WGS84 already, as the Chinese map SDKs report foreign points, so every
    finite point on the globe has an answer and it stays within [-180, 180] x [-90, 90].
    """
    convert = _TO_WGS84[InputCRS.parse(crs) if isinstance(crs, str) else crs]
    if convert is None or not in_china(lon, lat):
        return lon, lat
    result = convert(prcoords.Coords(lat, lon))
    return result.lon, result.lat


def parse_crs(value, field: str = "crs") -> InputCRS:
    """`InputCRS.parse` for request input: an unknown name is a 400 on `field`."""
    try:
        return InputCRS.parse(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def input_point(lon, lat, crs=None, *, prefix: str = "") -> tuple[Point, InputCRS]:
    """Coordinates as a device or a form sends them → (a WGS84 storage point, the CRS they were in).

    The one path from request input to a stored point (the locate API, incident intake, position
    pings, the ledger's stalls and check-ins, the planner's new schools): numbers on the globe
    (`gridops.core.numbers`), a known CRS, then the shift to WGS84; every refusal names the field.
    """
    lon, lat = parse_lon_lat(lon, lat, prefix=prefix)
    parsed = parse_crs(crs)  # one crs for the whole body
    x, y = to_wgs84(lon, lat, parsed)
    return Point(x, y, srid=STORAGE_SRID), parsed


def input_accuracy(value) -> float | None:
    """A device's reported accuracy in metres (0 to 100 km); absent is None, not zero: unknown is not exact."""
    return parse_number(value, "accuracy_m", low=0, high=100_000, default=None)


def many_to_wgs84(points: Iterable[tuple[float, float]], crs: InputCRS | str) -> list[tuple[float, float]]:
    crs = InputCRS.parse(crs) if isinstance(crs, str) else crs
    return [to_wgs84(lon, lat, crs) for lon, lat in points]
