"""Test data for the ledger: users with roles, a tiny inline zone tree, persons under supervision."""
from django.contrib.gis.geos import MultiPolygon, Polygon

from geodata.models import Level, Zone
from tests.builders import make_user


def user_with_role(role: str | None, zone=None):
    return make_user(role=role, zone=zone)


def square(x0, y0, size=0.01):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x0 + size, y0 + size)), srid=4326)


def zone_chain(x0=113.10, y0=23.00, suffix="001"):
    """District → town → area → village → grid, all the same small square (valid codes/levels)."""
    district = Zone.objects.filter(code="440604").first() or Zone.objects.create(
        code="440604", name="禅城区", level=Level.DISTRICT, geom=square(113.0, 22.9, 0.5))
    town = Zone.objects.create(code=f"440604{suffix}", name=f"镇{suffix}", level=Level.TOWN, parent=district, geom=square(x0, y0))
    area = Zone.objects.create(code=f"{town.code}01", name="片区", level=Level.AREA, parent=town, geom=square(x0, y0))
    village = Zone.objects.create(code=f"{area.code}001", name="村居", level=Level.VILLAGE, parent=area, geom=square(x0, y0))
    grid = Zone.objects.create(code=f"{village.code}001", name="网格", level=Level.GRID, parent=village, geom=square(x0, y0))
    return town, grid
