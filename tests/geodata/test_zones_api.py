"""The zones API: GeoJSON per level, one zone, children, conditional GET."""
import pytest
from django.urls import reverse

from geodata.models import Zone

pytestmark = pytest.mark.django_db


def test_level_collection(client, tiny_district):
    response = client.get(reverse("zone-list"), {"level": "grid"})
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == sorted(
        z.code for z in tiny_district.values() if z.level == 4)
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_simplification_tolerance_is_validated(client, tiny_district):
    response = client.get(reverse("zone-list"), {"level": "town", "simplify": "-1"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "simplify"
    assert client.get(reverse("zone-list"), {"level": "town", "simplify": "0.001"}).status_code == 200


def test_unknown_level_is_400(client, tiny_district):
    response = client.get(reverse("zone-list"), {"level": "province"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "level"


def test_detail_has_chain_and_children(client, tiny_district):
    body = client.get(reverse("zone-detail", args=["44060410101"])).json()
    assert body["properties"]["name"] == "南庄镇一片区"
    assert [c["code"] for c in body["properties"]["chain"]] == ["440604", "440604101", "44060410101"]
    assert body["properties"]["children"] == 1


def test_children(client, tiny_district):
    body = client.get(reverse("zone-children", args=["440604"])).json()
    assert {f["properties"]["name"] for f in body["features"]} == {"南庄镇", "祖庙街道"}


def test_missing_zone_is_404(client, tiny_district):
    assert client.get(reverse("zone-detail", args=["440604999"])).status_code == 404


def test_conditional_get_and_etag_changes_with_data(client, tiny_district):
    url = reverse("zone-list") + "?level=town"
    first = client.get(url)
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    Zone.objects.filter(code="440604001").update(name="祖庙")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_command_centres(client, tiny_district):
    body = client.get(reverse("command-centre-list")).json()
    assert len(body["features"]) == 3
