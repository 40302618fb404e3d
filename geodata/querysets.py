"""Spatial questions about zones, answered in one place (MapIt's `by_location` pattern)."""
from django.contrib.gis.db import models
from django.contrib.gis.geos import Point


class ZoneQuerySet(models.QuerySet):
    def at_level(self, level: int) -> "ZoneQuerySet":
        return self.filter(level=level)

    def containing(self, point: Point) -> "ZoneQuerySet":
        """Zones whose area holds the point; boundary points count (ties broken by code)."""
        return self.filter(geom__intersects=point).order_by("code")
