"""Spatial-core settings, read in one place so tests can override them."""
from django.conf import settings


def locate_batch_limit() -> int:
    return int(getattr(settings, "GRIDOPS_LOCATE_BATCH_LIMIT", 10_000))


def zone_extent() -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees that every imported zone must lie in: a file in the
    wrong CRS (metres read as degrees, or degrees read as metres) lands far outside it."""
    return tuple(getattr(settings, "GRIDOPS_ZONE_EXTENT", (73.0, 3.0, 136.0, 54.0)))
