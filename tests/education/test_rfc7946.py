"""The education map's GeoJSON (API layers and GeoJSON exports) passes an RFC 7946 validator.

The test zones are `Polygon.from_bbox` boxes, clockwise like the real grid, and catchments are
unions (which GEOS returns clockwise too), so the outputs must re-orient their rings.
"""
import pytest
from django.urls import reverse

from tests.geojson_support import assert_rfc7946

from tests.builders import make_user
from gridops.accounts.models import Role


def _json_layers(edu):
    pk = edu["plan"].pk
    return [reverse("education-catchments", kwargs={"pk": pk}), reverse("education-grids", kwargs={"pk": pk}),
            reverse("education-schools") + f"?plan={pk}"]


def test_api_layers(planner_client, edu):
    counted = []
    for url in _json_layers(edu):
        response = planner_client.get(url)
        assert response.status_code == 200, (url, response.content)
        counted.append(assert_rfc7946(response.content))
    assert counted == [4, 8, 4]  # catchments of the four schools, eight grids, four schools


def test_operator_layer(client, edu):
    client.force_login(make_user("op", Role.DISTRICT_OPERATOR))
    response = client.get(reverse("education-layer"))
    assert response.status_code == 200
    assert assert_rfc7946(response.content) == 4


@pytest.mark.parametrize("view,features", [("schools", 4), ("catchments", 4), ("grids", 8), ("members", 10)])
def test_geojson_exports(planner_client, edu, view, features):
    url = reverse("education-export", kwargs={"view": view, "fmt": "geojson"}) + f"?plan={edu['plan'].pk}"
    response = planner_client.get(url)
    assert response.status_code == 200
    assert assert_rfc7946(response.content) == features
