"""Device coordinates → storage points: the input checks shared by intake and position pings."""
from __future__ import annotations

import math

from django.contrib.gis.geos import Point

from geodata.coords import InputCRS, to_wgs84
from gridops.core.errors import InvalidInput


def _coordinate(value, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return number


def to_storage_point(lon, lat, crs: str | None) -> tuple[Point, str]:
    """Validated device coordinates → a WGS84 point and the normalised input CRS name."""
    lon = _coordinate(lon, "lon", -180, 180)
    lat = _coordinate(lat, "lat", -90, 90)
    try:
        parsed = InputCRS.parse(crs)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    x, y = to_wgs84(lon, lat, parsed)
    return Point(x, y, srid=4326), parsed.value


def to_accuracy(value) -> float | None:
    """A device's reported accuracy in metres; absent is None (not zero: unknown is not exact)."""
    if value in (None, ""):
        return None
    number = _coordinate(value, "accuracy_m", 0, 100_000)
    return number
