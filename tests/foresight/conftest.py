"""A district for foresight: the tiny district's people plus a 6×6 lattice of micro-grids in
祖庙's village, and a weekly history placed week by week (Asia/Shanghai Mondays)."""
from datetime import datetime, time, timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from geodata.models import Level, Zone
from gridops.foresight.selectors import LOCAL, current_week
from gridops.incidents.models import Incident
from tests.realtime.users import ZUMIAO_GRID, build_people, make_incident

LATTICE_SIDE = 6
CELL = 0.004


@pytest.fixture
def people():
    world = build_people()
    village = world["zones"][ZUMIAO_GRID[:14]]
    for row in range(LATTICE_SIDE):
        for col in range(LATTICE_SIDE):
            x0, y0 = round(113.10 + col * CELL, 6), round(23.00 + row * CELL, 6)
            code = f"{village.code}{100 + row * LATTICE_SIDE + col:03d}"
            world["zones"][code] = Zone.objects.create(
                code=code, name=f"格{row}-{col}", level=Level.GRID, parent=village,
                geom=MultiPolygon(Polygon.from_bbox((x0, y0, round(x0 + CELL, 6), round(y0 + CELL, 6))), srid=4326))
    return world


def lattice_code(row: int, col: int) -> str:
    return f"{ZUMIAO_GRID[:14]}{100 + row * LATTICE_SIDE + col:03d}"


def place_history(zones, counts: dict[str, list[int]], *, until=None) -> None:
    """counts[grid code][i] incidents in the i-th of the len(list) complete weeks before `until`'s week."""
    end = current_week(until)
    for code, weekly in counts.items():
        for index, count in enumerate(weekly):
            monday = end - timedelta(weeks=len(weekly) - index)
            moment = datetime.combine(monday + timedelta(days=2), time(10), tzinfo=LOCAL)
            made = [make_incident(zones, code).pk for _ in range(count)]
            Incident.objects.filter(pk__in=made).update(reported_at=moment)
