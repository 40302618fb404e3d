"""OGC API – Features at /ogc/ through Django's test client: documents, paging, filters, CRS,
errors, and incidents behind the same jurisdiction filter as the incident API."""
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.geojson_support import assert_rfc7946
from tests.incidents.factories import NANZHUANG, NZ_GRID1

pytestmark = pytest.mark.django_db

PUBLIC = ["district", "towns", "areas", "villages", "micro-grids", "command-centres", "schools", "catchments",
          "service-halls", "food-stalls"]


def token_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")


def test_landing_page_links(ogc_world):
    body = Client().get("/ogc/").json()
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert Client().get(rels["service-desc"]).status_code == 200
    assert Client().get(rels["data"]).json()["collections"]


def test_collections_list_every_registered_collection(ogc_world):
    body = Client().get("/ogc/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == PUBLIC[:5] + ["command-centres", "schools", "catchments", "service-halls", "food-stalls", "incidents"]
    incidents = Client().get("/ogc/collections/incidents").json()
    assert incidents["storageCrs"].endswith("EPSG/0/4326") and "temporal" in incidents["extent"]
    assert "http://www.opengis.net/def/crs/EPSG/0/4547" in incidents["crs"]


@pytest.mark.parametrize("cid", PUBLIC)
def test_public_collections_are_rfc7946_for_anyone(ogc_world, cid):
    response = Client().get(f"/ogc/collections/{cid}/items")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    body = response.json()
    assert body["numberReturned"] == len(body["features"]) <= body["numberMatched"]
    assert_rfc7946(body)


def test_micro_grids_come_counter_clockwise_and_page_with_links(ogc_world):
    # The tiny district's grids are stored clockwise (tests/builders.py box()).
    first = Client().get("/ogc/collections/micro-grids/items", {"limit": 3}).json()
    assert assert_rfc7946(first) == 3 and first["numberMatched"] == 4
    links = {link["rel"]: link["href"] for link in first["links"]}
    assert "prev" not in links
    second = Client().get(links["next"]).json()
    assert second["numberReturned"] == 1
    assert {link["rel"] for link in second["links"]} == {"self", "collection", "prev"}
    codes = [f["id"] for f in first["features"] + second["features"]]
    assert len(set(codes)) == 4
    one = Client().get(f"/ogc/collections/micro-grids/items/{NZ_GRID1}").json()
    assert one["id"] == NZ_GRID1 and one["properties"]["parent"] == NZ_GRID1[:14]
    assert Client().get("/ogc/collections/micro-grids/items/nope").status_code == 404


def test_bbox_in_crs84_and_in_cgcs2000_latitude_first(ogc_world):
    west = Client().get("/ogc/collections/micro-grids/items", {"bbox": "113.001,23.001,113.002,23.002"}).json()
    lat_first = Client().get("/ogc/collections/micro-grids/items", {
        "bbox": "23.001,113.001,23.002,113.002", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4490"}).json()
    assert [f["id"] for f in west["features"]] == [f["id"] for f in lat_first["features"]]
    assert west["numberMatched"] == 1


def test_crs_4490_and_4547_coordinates_in_the_crs_axis_order(ogc_world):
    centre = Client().get("/ogc/collections/command-centres/items", {"limit": 1}).json()["features"][0]
    lon, lat = centre["geometry"]["coordinates"]
    cgcs = Client().get(f"/ogc/collections/command-centres/items/{centre['id']}", {"crs": "EPSG:4490"})
    assert cgcs["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    assert cgcs.json()["geometry"]["coordinates"] == pytest.approx([lat, lon], abs=1e-5)
    gk = Client().get(f"/ogc/collections/command-centres/items/{centre['id']}",
                      {"crs": "http://www.opengis.net/def/crs/EPSG/0/4547"}).json()
    northing, easting = gk["geometry"]["coordinates"]
    # 113°E is one degree west of the zone's central meridian (114°E): easting 500 km minus ~102 km.
    assert 2_540_000 < northing < 2_560_000 and 390_000 < easting < 410_000


def test_property_filters_are_the_queryables(ogc_world):
    grids = Client().get("/ogc/collections/micro-grids/items", {"parent": NZ_GRID1[:14]}).json()
    assert {f["properties"]["parent"] for f in grids["features"]} == {NZ_GRID1[:14]} and grids["numberMatched"] == 2
    queryables = Client().get("/ogc/collections/incidents/queryables").json()
    assert {"status", "town", "grid"} <= set(queryables["properties"])


def test_incidents_need_a_signed_in_user(ogc_world):
    for path in ("/ogc/collections/incidents/items", f"/ogc/collections/incidents/items/{ogc_world['zumiao'][0]}"):
        response = Client().get(path)
        assert response.status_code == 401 and "WWW-Authenticate" in response
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get("/ogc/collections/incidents/items").status_code == 401
    assert Client().get("/ogc/collections/incidents").status_code == 200  # its description is public


def test_incidents_through_the_api_jurisdiction_filter(ogc_world):
    town_op = ogc_world["users"]["nanzhuang_op"]
    api = token_client(town_op).get("/api/v1/incidents/", {"page_size": 100}).json()
    api_ids = {f["id"] for f in api["features"]}
    ogc = token_client(town_op).get("/ogc/collections/incidents/items").json()
    assert {f["id"] for f in ogc["features"]} == api_ids == set(ogc_world["nanzhuang"])
    assert {f["properties"]["town"] for f in ogc["features"]} == {NANZHUANG}
    hidden = ogc_world["zumiao"][0]
    assert token_client(town_op).get(f"/ogc/collections/incidents/items/{hidden}").status_code == 404
    session = Client()
    session.force_login(ogc_world["users"]["district_op"])
    assert session.get("/ogc/collections/incidents/items").json()["numberMatched"] == 5
    filtered = session.get("/ogc/collections/incidents/items", {"town": NANZHUANG, "status": "dispatched"}).json()
    assert filtered["numberMatched"] == 3
    assert "reporter_phone" not in filtered["features"][0]["properties"]


def test_datetime_instants_and_intervals(ogc_world):
    client = token_client(ogc_world["users"]["district_op"])
    url = "/ogc/collections/incidents/items"
    from django.utils import timezone
    from datetime import timedelta
    five_days_ago = (timezone.now() - timedelta(days=5)).isoformat()
    assert client.get(url, {"datetime": f"{five_days_ago}/.."}).json()["numberMatched"] == 3
    assert client.get(url, {"datetime": f"../{five_days_ago}"}).json()["numberMatched"] == 2
    assert client.get(url, {"datetime": "2001-01-01T00:00:00Z"}).json()["numberMatched"] == 0


@pytest.mark.parametrize("params, field", [
    ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "113,23,nan,24"}, "bbox"), ({"bbox": "114,23,113,24"}, "bbox"),
    ({"bbox": "200,23,201,24"}, "bbox"), ({"bbox-crs": "EPSG:3857"}, "bbox-crs"),
    ({"limit": "0"}, "limit"), ({"limit": "10001"}, "limit"), ({"limit": "ten"}, "limit"), ({"offset": "-1"}, "offset"),
    ({"datetime": "yesterday"}, "datetime"), ({"datetime": "2024-01-01T00:00:00"}, "datetime"),
    ({"datetime": "../.."}, "datetime"), ({"datetime": "2024-02-01T00:00:00Z/2024-01-01T00:00:00Z"}, "datetime"),
    ({"crs": "EPSG:9999"}, "crs"), ({"f": "xml"}, "f"), ({"colour": "red"}, "colour"),
])
def test_bad_parameters_are_400_naming_the_parameter(ogc_world, params, field):
    response = Client().get("/ogc/collections/micro-grids/items", params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field


def test_unknown_collection_is_404(ogc_world):
    assert Client().get("/ogc/collections/nope/items").status_code == 404
    assert Client().get("/ogc/collections/nope").json()["error"]["field"] == "collectionId"
