"""The tiny district's people (tests/realtime/users.py) with a shelter in each town."""
import pytest
from django.contrib.gis.geos import Point

from gridops.emergency.models import Shelter
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, build_people

# 祖庙 grid 1 is the box 113.02-113.04 E, 23.00-23.01 N; 南庄 grid 1 is 113.00-113.02 E beside it.
ZUMIAO_BOX = {"type": "Polygon", "coordinates": [[[113.025, 23.002], [113.035, 23.002], [113.035, 23.008],
                                                  [113.025, 23.008], [113.025, 23.002]]]}


@pytest.fixture
def people(db):
    world = build_people()
    Shelter.objects.create(code="S-ZM", name="祖庙避难场所", location=Point(113.03, 23.005, srid=4326),
                           grid_code=ZUMIAO_GRID, capacity=200, occupancy=50)
    Shelter.objects.create(code="S-NZ", name="南庄避难场所", location=Point(113.01, 23.005, srid=4326),
                           grid_code=NANZHUANG_GRID, capacity=100)
    return world
