"""Every GeoJSON the spatial core writes passes an RFC 7946 validator, ring orientation included.

The test district is built with `Polygon.from_bbox`, whose rings are clockwise like the real
Chancheng grid's, and one micro-grid gets a hole drawn counter-clockwise, so each output must
re-orient (exterior counter-clockwise, holes clockwise) to pass.
"""
import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client
from django.urls import reverse

from geodata.loaders import zones as zone_loader
from geodata.models import Zone
from tests.builders import build_tiny_district
from tests.geojson_support import assert_rfc7946

pytestmark = pytest.mark.django_db

HOLED_GRID = "44060400101001001"


@pytest.fixture
def district():
    zones = build_tiny_district()
    shell = ((113.02, 23.00), (113.02, 23.01), (113.04, 23.01), (113.04, 23.00), (113.02, 23.00))  # clockwise
    hole = ((113.025, 23.002), (113.03, 23.002), (113.03, 23.004), (113.025, 23.004), (113.025, 23.002))  # ccw
    Zone.objects.filter(code=HOLED_GRID).update(geom=MultiPolygon(Polygon(shell, hole), srid=4326))
    return zones


def _get(url: str) -> bytes:
    response = Client().get(url)
    assert response.status_code == 200, response.content
    return response.content


@pytest.mark.parametrize("query", ["level=district", "level=town", "level=area", "level=village", "level=grid",
                                   "level=grid&simplify=0.001", "level=town&simplify=0.01"])
def test_zone_collections(district, query):
    assert assert_rfc7946(_get(reverse("zone-list") + "?" + query)) >= 1


def test_zone_detail_children_and_centres(district):
    assert assert_rfc7946(_get(reverse("zone-detail", args=[HOLED_GRID]))) == 1
    assert assert_rfc7946(_get(reverse("zone-children", args=["44060400101001"]))) == 2
    assert assert_rfc7946(_get(reverse("zone-children", args=["44060400101001"]) + "?simplify=0.001")) == 2
    assert assert_rfc7946(_get(reverse("command-centre-list"))) == 3


def test_hole_is_kept_and_clockwise(district):
    feature = json.loads(_get(reverse("zone-detail", args=[HOLED_GRID])))
    shell, hole = feature["geometry"]["coordinates"][0]

    def signed_area(ring):
        return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) / 2

    assert signed_area(shell) > 0 > signed_area(hole)


def test_geojson_export_files(district, tmp_path):
    written = zone_loader.export(tmp_path, fmt="geojson")
    assert len(written) == 6  # five levels and the command centres
    assert sum(assert_rfc7946(path.read_bytes()) for path in written) == 1 + 2 + 2 + 2 + 4 + 3
