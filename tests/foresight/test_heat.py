"""The heat layer counts, per ~100 m cell, only incidents the caller may see, with the incident filters."""
import pytest

from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, make_incident, signed_in

pytestmark = pytest.mark.django_db


def test_heat_cells_are_scoped_and_filtered(people):
    zones = people["zones"]
    for _ in range(3):
        make_incident(zones, ZUMIAO_GRID)
    make_incident(zones, NANZHUANG_GRID)
    district = signed_in(people["users"]["district"]).get("/api/v1/foresight/heat/").json()
    assert sorted(cell[2] for cell in district["cells"]) == [1, 3] and district["max"] == 3
    zumiao = signed_in(people["users"]["zumiao"]).get("/api/v1/foresight/heat/").json()
    [cell] = zumiao["cells"]
    centre = zones[ZUMIAO_GRID].geom.centroid
    assert cell[2] == 3 and abs(cell[0] - centre.y) < 0.001 and abs(cell[1] - centre.x) < 0.001
    assert signed_in(people["users"]["zumiao"]).get("/api/v1/foresight/heat/?since=2000-01-01&until=2000-01-02").json() \
        == {"cells": [], "max": 0}


def test_heat_rejects_a_bad_filter(people):
    response = signed_in(people["users"]["district"]).get("/api/v1/foresight/heat/?since=yesterday")
    assert response.status_code == 400 and response.json()["error"]["field"] == "since"
