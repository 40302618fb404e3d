"""GET/POST /api/v1/locate against the tiny inline district."""
import prcoords
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def locate(client, **params):
    return client.get(reverse("locate"), params)


def test_point_returns_whole_chain_and_command_centre(client, tiny_district):
    response = locate(client, lon=113.01, lat=23.005)
    assert response.status_code == 200
    body = response.json()
    assert [c["code"] for c in body["chain"]] == ["440604", "440604101", "44060410101", "44060410101001", "44060410101001001"]
    assert body["town"] == {"code": "440604101", "name": "南庄镇"}
    assert body["command_centre"]["name"] == "南庄镇分中心"


def test_gcj02_input_is_converted_before_locating(client, tiny_district):
    # A WGS84 point just west of the town boundary at 113.02 becomes, in GCJ-02, a point east of it.
    wgs = prcoords.Coords(23.015, 113.0195)
    gcj = prcoords.wgs_gcj(wgs)
    assert gcj.lon > 113.02
    assert locate(client, lon=gcj.lon, lat=gcj.lat).json()["town"]["code"] == "440604001"
    body = locate(client, lon=gcj.lon, lat=gcj.lat, crs="gcj02").json()
    assert body["town"]["code"] == "440604101"
    assert abs(body["wgs84"]["lon"] - 113.0195) < 1e-6


def test_bd09_input_is_converted(client, tiny_district):
    bd = prcoords.wgs_bd(prcoords.Coords(23.005, 113.03))
    body = locate(client, lon=bd.lon, lat=bd.lat, crs="bd09").json()
    assert body["grid"]["code"] == "44060400101001001"


def test_point_on_shared_boundary_is_deterministic(client, tiny_district):
    codes = {locate(client, lon=113.02, lat=23.01).json()["grid"]["code"] for _ in range(3)}
    assert codes == {"44060400101001001"}  # four grids meet here; the lowest code wins


def test_outside_the_district_is_404(client, tiny_district):
    response = locate(client, lon=113.5, lat=23.5)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "该地点不在禅城区范围内。"  # the default language
    client.cookies["django_language"] = "en"  # messages follow the reader's language (issue 12)
    assert "outside the district" in locate(client, lon=113.5, lat=23.5).json()["error"]["message"]


def test_swapped_coordinates_are_named(client, tiny_district):
    client.cookies["django_language"] = "en"  # the English message carries the hint
    response = locate(client, lon=23.005, lat=113.01)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "lat" and "swapped" in error["message"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lat": 23.0}, "lon"),
        ({"lon": "abc", "lat": 23.0}, "lon"),
        ({"lon": "nan", "lat": 23.0}, "lon"),
        ({"lon": 113.0, "lat": "inf"}, "lat"),
        ({"lon": 181, "lat": 23.0}, "lon"),
        ({"lon": 113.0, "lat": 23.0, "crs": "utm"}, "crs"),
    ],
)
def test_bad_coordinates_are_400_naming_the_field(client, tiny_district, params, field):
    response = client.get(reverse("locate"), params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_batch_locates_each_point_in_order(client, tiny_district):
    points = [[113.01, 23.005], [113.5, 23.5], {"lon": 113.03, "lat": 23.015}]
    response = client.post(reverse("locate"), {"points": points}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["located"] == 2
    assert body["results"][0]["grid"]["code"] == "44060410101001001"
    assert body["results"][1] is None
    assert body["results"][2]["grid"]["code"] == "44060400101001002"


def test_batch_names_the_bad_point(client, tiny_district):
    response = client.post(reverse("locate"), {"points": [[113.0, 23.0], [113.0, "x"]]}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "points[1].lat"


def test_batch_over_the_limit_is_refused(client, tiny_district, settings):
    settings.GRIDOPS_LOCATE_BATCH_LIMIT = 3
    response = client.post(reverse("locate"), {"points": [[113.0, 23.0]] * 4}, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["field"] == "points"


def test_batch_of_ten_thousand_is_accepted(client, tiny_district):
    points = [[113.0 + (i % 400) * 0.0001, 23.0 + (i // 400) * 0.0008] for i in range(10_000)]
    body = client.post(reverse("locate"), {"points": points}, content_type="application/json").json()
    assert body["count"] == 10_000 and body["located"] == 10_000


def test_malformed_json_body_is_400(client, tiny_district):
    response = client.post(reverse("locate"), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_batch_results_have_the_single_locate_shape(client, tiny_district):
    single = client.get(reverse("locate"), {"lon": 113.03, "lat": 23.015}).json()
    batch = client.post(reverse("locate"), {"points": [[113.03, 23.015]]}, content_type="application/json").json()
    assert batch["results"][0] == {key: single[key] for key in ("chain", "grid", "town", "command_centre")}
