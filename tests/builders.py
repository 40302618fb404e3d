"""A tiny inline district for tests: two towns, each one area, one village and two grids.

    113.00        113.02        113.04
 23.02 +-------------+-------------+
       | 南庄 grid 2 | 祖庙 grid 2 |
 23.01 +-------------+-------------+
       | 南庄 grid 1 | 祖庙 grid 1 |
 23.00 +-------------+-------------+
"""
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from geodata.models import CommandCentre, Level, Zone


def box(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


TOWNS = [
    # code, name, x0, x1
    ("440604101", "南庄镇", 113.00, 113.02),
    ("440604001", "祖庙街道", 113.02, 113.04),
]


def build_tiny_district() -> dict[str, Zone]:
    """Create the zones and command centres; returns them by code."""
    zones: dict[str, Zone] = {}
    district = Zone.objects.create(code="440604", name="禅城区", level=Level.DISTRICT,
                                   geom=box(113.00, 23.00, 113.04, 23.02), residents=4000, households=1600)
    zones[district.code] = district
    CommandCentre.objects.create(code="district", name="区指挥中心", zone=district, location=Point(113.02, 23.01, srid=4326))
    for town_code, town_name, x0, x1 in TOWNS:
        town = Zone.objects.create(code=town_code, name=town_name, level=Level.TOWN, parent=district,
                                   geom=box(x0, 23.00, x1, 23.02), residents=2000, households=800)
        area = Zone.objects.create(code=town_code + "01", name=f"{town_name}一片区", level=Level.AREA, parent=town,
                                   geom=box(x0, 23.00, x1, 23.02), residents=2000, households=800)
        village = Zone.objects.create(code=area.code + "001", name=f"{town_name}一社区", level=Level.VILLAGE,
                                      parent=area, geom=box(x0, 23.00, x1, 23.02), residents=2000, households=800)
        for seq, (y0, y1) in enumerate([(23.00, 23.01), (23.01, 23.02)], start=1):
            grid = Zone.objects.create(code=f"{village.code}{seq:03d}", name=f"{town_name}第{seq}网格",
                                       level=Level.GRID, parent=village, geom=box(x0, y0, x1, y1),
                                       residents=1000, households=400)
            zones[grid.code] = grid
        CommandCentre.objects.create(code=f"town-{town_code}", name=f"{town_name}分中心", zone=town,
                                     location=Point((x0 + x1) / 2, 23.01, srid=4326))
        zones.update({town.code: town, area.code: area, village.code: village})
    return zones
