"""Numbers and coordinates from requests: the one rule for "a number in range, or a 400 naming the field".

Before this module five copies read numbers from query parameters and bodies (the locate API, the
ledger's `_int` and `_whole_number`, the education projection, the screen's period, device
coordinates), and they disagreed: some let `nan`, `inf` or `True` through to PostgreSQL, some
answered a bad value with a 500. Every caller now gets the same answers:

- absent (None or ""): the default, or `required` when there is none;
- a boolean, text that is not a number, NaN or an infinity: 400 on the field;
- outside [low, high]: 400 `out_of_range` on the field;
- `whole=True`: an int; 3.0 is 3, 3.5 is refused.

Coordinate systems (WGS84, GCJ-02, BD-09) are the spatial core's (`geodata.coords.input_point`);
this module only checks that lon and lat are numbers on the globe.
"""
from __future__ import annotations

import math

from .errors import InvalidInput

REQUIRED = object()  # the default of a parameter that must be given


def parse_number(value, field: str, *, low: float | None = None, high: float | None = None,
                 default=REQUIRED, whole: bool = False):
    """`value` as a finite float (or int with `whole`) within [low, high]; InvalidInput naming `field`."""
    if value is None or value == "":
        if default is REQUIRED:
            raise InvalidInput(f"{field} is required", field=field, code="required")
        return default
    kind = "whole number" if whole else "number"
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a {kind}, not {value!r}", field=field)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"{field} must be a {kind}, not {str(value)[:40]!r}", field=field) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite {kind}", field=field)
    if whole:
        if not number.is_integer():
            raise InvalidInput(f"{field} must be a whole number, not {str(value)[:40]!r}", field=field)
        number = int(value) if isinstance(value, int) else int(number)
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidInput(f"{field} {number} is out of range [{_bound(low)}, {_bound(high)}]", field=field,
                           code="out_of_range")
    return number


def _bound(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def parse_lon_lat(lon, lat, *, prefix: str = "") -> tuple[float, float]:
    """(lon, lat) as numbers on the globe; a latitude beyond ±90 but within ±180 says the two
    look swapped (lon is east-west, about 113 in Chancheng; lat about 23)."""
    lon_value = parse_number(lon, f"{prefix}lon", low=-180.0, high=180.0)
    try:
        lat_value = parse_number(lat, f"{prefix}lat", low=-90.0, high=90.0)
    except InvalidInput as exc:
        if exc.code == "out_of_range" and -180 <= float(lat) <= 180:
            raise InvalidInput(f"{exc.message}; lon and lat look swapped (lon is east-west, about 113 here; "
                               "lat about 23)", field=exc.field, code=exc.code) from None
        raise
    return lon_value, lat_value
