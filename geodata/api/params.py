"""Parsing of coordinates from requests, with errors that name the field and the problem."""
from __future__ import annotations

import math

from gridops.core.errors import InvalidInput
from geodata.coords import InputCRS

# Where a coordinate in or near Chancheng can be: used only to say "lon and lat look swapped".
_DISTRICT_LON = (112.5, 113.6)
_DISTRICT_LAT = (22.5, 23.5)


def parse_crs(value, field: str = "crs") -> InputCRS:
    try:
        return InputCRS.parse(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def parse_float(value, field: str, low: float, high: float) -> float:
    """A finite number within [low, high]; booleans and non-numbers are refused."""
    if value is None or value == "":
        raise InvalidInput(f"{field} is required", field=field, code="required")
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a number, not {value!r}", field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number, not {str(value)[:40]!r}", field=field) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite number", field=field)
    if not low <= number <= high:
        hint = ""
        if field == "lat" and -180 <= number <= 180:
            hint = "; lon and lat look swapped (lon is east-west, about 113 here; lat about 23)"
        raise InvalidInput(f"{field} {number} is out of range [{low}, {high}]{hint}", field=field, code="out_of_range")
    return number


def parse_lon_lat(lon, lat, prefix: str = "") -> tuple[float, float]:
    return (
        parse_float(lon, f"{prefix}lon", -180.0, 180.0),
        parse_float(lat, f"{prefix}lat", -90.0, 90.0),
    )


def looks_swapped(lon: float, lat: float) -> bool:
    """True when (lat, lon) would be near the district although (lon, lat) is not."""
    return _DISTRICT_LON[0] <= lat <= _DISTRICT_LON[1] and _DISTRICT_LAT[0] <= lon <= _DISTRICT_LAT[1]
