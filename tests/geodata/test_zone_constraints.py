"""The database itself refuses zones that break the hierarchy's rules."""
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import IntegrityError, transaction

from geodata.models import Level, Zone

pytestmark = pytest.mark.django_db


def square(x0, y0, size=0.01):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x0 + size, y0 + size)), srid=4326)


@pytest.fixture
def district():
    return Zone.objects.create(code="440604", name="禅城区", level=Level.DISTRICT, geom=square(113.0, 23.0, 0.1))


def test_parent_must_be_one_level_up(district):
    with pytest.raises(IntegrityError, match="at level 0, expected 1"), transaction.atomic():
        Zone.objects.create(code="44060400101", name="片区", level=Level.AREA, parent=district, geom=square(113.0, 23.0))


def test_code_must_start_with_parent_code(district):
    town = Zone.objects.create(code="440604001", name="祖庙街道", level=Level.TOWN, parent=district, geom=square(113.0, 23.0))
    with pytest.raises(IntegrityError, match="parent's code"), transaction.atomic():
        Zone.objects.create(code="44060400201", name="片区", level=Level.AREA, parent=town, geom=square(113.0, 23.0))


def test_invalid_geometry_is_refused(district):
    bowtie = MultiPolygon(Polygon(((113.0, 23.0), (113.01, 23.01), (113.01, 23.0), (113.0, 23.01), (113.0, 23.0))), srid=4326)
    with pytest.raises(IntegrityError, match="zone_geom_valid"), transaction.atomic():
        Zone.objects.create(code="440604001", name="坏", level=Level.TOWN, parent=district, geom=bowtie)


def test_code_length_must_match_level(district):
    with pytest.raises(IntegrityError, match="zone_code_length"), transaction.atomic():
        Zone.objects.create(code="4406040011", name="错", level=Level.TOWN, parent=district, geom=square(113.0, 23.0))


def test_only_the_district_has_no_parent():
    with pytest.raises(IntegrityError, match="zone_root_has_no_parent"), transaction.atomic():
        Zone.objects.create(code="440604001", name="孤儿", level=Level.TOWN, geom=square(113.0, 23.0))
