"""Hot spots and emerging hot spots equal PySAL's own Gi* on the same Queen weights."""
import numpy as np
import pytest
import shapely
from esda.getisord import G_Local
from libpysal.weights import Queen

from geodata.models import Level, Zone
from gridops.foresight import spatial
from gridops.foresight.models import Trend
from tests.geojson_support import assert_rfc7946
from tests.realtime.users import signed_in

from .conftest import LATTICE_SIDE, lattice_code, place_history

pytestmark = pytest.mark.django_db


def esda_reference(counts_by_code: dict[str, int]):
    """Gi* computed here, from the zones' own polygons, with nothing of gridops.foresight."""
    zones = list(Zone.objects.filter(level=Level.GRID).order_by("pk").values_list("code", "geom"))
    geoms = [shapely.from_wkb(bytes(geom.wkb)) for _, geom in zones]
    weights = Queen.from_iterable(geoms)
    y = np.array([counts_by_code.get(code, 0) for code, _ in zones], dtype=float)
    result = G_Local(y, weights, transform="B", star=True, permutations=0)
    return {code: (z, 2 * p) for (code, _), z, p in zip(zones, result.Zs, result.p_norm)}


def hot_cluster_history(people, weeks=4):
    """A cluster of busy grids in the lattice's corner, a trickle elsewhere."""
    counts = {lattice_code(r, c): [3] * weeks for r in range(2) for c in range(2)}
    counts[lattice_code(5, 5)] = [1] * weeks
    counts[lattice_code(3, 3)] = [0] * (weeks - 1) + [1]
    place_history(people["zones"], counts)
    return {code: sum(weekly) for code, weekly in counts.items()}


def test_hot_spots_equal_esda_on_the_same_weights(people):
    totals = hot_cluster_history(people)
    response = signed_in(people["users"]["district"]).get("/api/v1/foresight/hotspots/?weeks=4")
    assert response.status_code == 200, response.content
    features = {f["properties"]["code"]: f["properties"] for f in response.json()["features"]}
    reference = esda_reference(totals)
    assert set(features) == set(reference)
    for code, (z, p) in reference.items():
        assert features[code]["z"] == pytest.approx(z, abs=1e-3)
        assert features[code]["p"] == pytest.approx(p, abs=1e-4)
        assert features[code]["count"] == totals.get(code, 0)
    corner = features[lattice_code(0, 0)]
    assert corner["bin"] == 3 and corner["z"] > 2.58  # the busy corner is a 99 % hot spot


def test_a_town_operator_sees_only_their_grids(people):
    hot_cluster_history(people)
    response = signed_in(people["users"]["nanzhuang"]).get("/api/v1/foresight/hotspots/?weeks=4")
    codes = {f["properties"]["code"] for f in response.json()["features"]}
    assert codes and all(code.startswith("440604101") for code in codes)


@pytest.mark.parametrize("who, status", [("citizen", 403), ("worker_zm", 403), ("dept_cg", 403)])
def test_foresight_is_for_command_centres(people, who, status):
    assert signed_in(people["users"][who]).get("/api/v1/foresight/hotspots/").status_code == status


@pytest.mark.parametrize("query, field, status", [
    ("weeks=1", "weeks", 400), ("weeks=abc", "weeks", 400), ("until=2024-13-01", "until", 400),
    ("category=nope", "category", 404),
])
def test_bad_parameters_name_the_field(people, query, field, status):
    response = signed_in(people["users"]["district"]).get(f"/api/v1/foresight/emerging/?{query}")
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_geojson_is_rfc7946(people):
    hot_cluster_history(people)
    for path in ("hotspots", "emerging", "forecast"):
        body = signed_in(people["users"]["district"]).get(f"/api/v1/foresight/{path}/?weeks=4").json()
        assert assert_rfc7946(body) == len(body["features"]) > 0


def test_emerging_weekly_z_scores_are_esda_per_week(people):
    weeks = 6
    counts = {lattice_code(0, 0): [0, 0, 0, 0, 0, 6], lattice_code(0, 1): [0, 0, 0, 0, 0, 6],
              lattice_code(5, 5): [1, 1, 1, 1, 1, 1]}
    place_history(people["zones"], counts)
    response = signed_in(people["users"]["district"]).get(f"/api/v1/foresight/emerging/?weeks={weeks}")
    assert response.status_code == 200
    features = {f["properties"]["code"]: f["properties"] for f in response.json()["features"]}
    assert features[lattice_code(0, 0)]["hot"] == Trend.NEW
    last_week = esda_reference({code: weekly[-1] for code, weekly in counts.items()})
    assert last_week[lattice_code(0, 0)][0] > 1.645  # significant in the final week only


@pytest.mark.parametrize("flags, opposite, tau, p, expected", [
    ("000001", "000000", 0.0, 1.0, Trend.NEW),
    ("000111", "000000", 0.6, 0.2, Trend.CONSECUTIVE),
    ("1111111111", "0000000000", 0.8, 0.01, Trend.INTENSIFYING),
    ("1111111111", "0000000000", 0.1, 0.60, Trend.PERSISTENT),
    ("1111111111", "0000000000", -0.8, 0.01, Trend.DIMINISHING),
    ("0101001", "0000000", 0.0, 1.0, Trend.SPORADIC),
    ("0110001", "1000000", 0.0, 1.0, Trend.OSCILLATING),
    ("1111111110", "0000000000", 0.0, 1.0, Trend.HISTORICAL),
    ("0100000", "0000000", 0.0, 1.0, Trend.NONE),
])
def test_emerging_patterns_follow_the_arcgis_definitions(flags, opposite, tau, p, expected):
    as_array = lambda text: np.array([c == "1" for c in text])  # noqa: E731
    assert spatial.classify(as_array(flags), as_array(opposite), tau, p) == expected
