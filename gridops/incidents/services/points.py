"""Device coordinates → storage points: the input checks shared by intake and position pings.

The checks themselves are the spatial core's (`geodata.coords.input_point` and `input_accuracy`,
over `gridops.core.numbers`), the same for the ledger's check-ins and every other input."""
from __future__ import annotations

from django.contrib.gis.geos import Point

from geodata.coords import input_accuracy, input_point


def to_storage_point(lon, lat, crs: str | None) -> tuple[Point, str]:
    """Validated device coordinates → a WGS84 point and the normalised input CRS name."""
    point, parsed = input_point(lon, lat, crs)
    return point, parsed.value


def to_accuracy(value) -> float | None:
    """A device's reported accuracy in metres; absent is None (not zero: unknown is not exact)."""
    return input_accuracy(value)
