"""Every conformance class declared at /ogc/conformance is checked here, one test each, and the
declared list must equal the checked one: a class cannot be declared without a test."""
import mapbox_vector_tile
import pytest
from django.test import Client
from openapi_spec_validator import validate
from pyproj import Transformer

from tests.geojson_support import assert_rfc7946
from tests.incidents.factories import NZ_GRID1

pytestmark = pytest.mark.django_db

FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"


def check_core(client):
    landing = client.get("/ogc/", HTTP_ACCEPT="application/json").json()
    assert {"service-desc", "conformance", "data"} <= {link["rel"] for link in landing["links"]}
    collection = client.get("/ogc/collections/micro-grids").json()
    assert collection["itemType"] == "feature" and len(collection["extent"]["spatial"]["bbox"][0]) == 4
    items = client.get("/ogc/collections/micro-grids/items", {"limit": 1}).json()
    assert items["numberReturned"] == 1 and items["numberMatched"] == 4
    assert "next" in {link["rel"] for link in items["links"]}
    assert client.get(f"/ogc/collections/micro-grids/items/{NZ_GRID1}").json()["id"] == NZ_GRID1


def check_geojson(client):
    response = client.get("/ogc/collections/micro-grids/items", HTTP_ACCEPT="application/geo+json")
    assert response["Content-Type"] == "application/geo+json"
    assert assert_rfc7946(response.json()) == 4
    one = client.get(f"/ogc/collections/micro-grids/items/{NZ_GRID1}")
    assert one["Content-Type"] == "application/geo+json" and one.json()["type"] == "Feature"


def check_html(client):
    for path in ("/ogc/", "/ogc/collections", "/ogc/collections/micro-grids/items"):
        by_param = client.get(path, {"f": "html"})
        by_accept = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
        for response in (by_param, by_accept):
            assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert NZ_GRID1 in client.get("/ogc/collections/micro-grids/items", {"f": "html"}).content.decode()


def check_oas30(client):
    landing = client.get("/ogc/").json()
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    document = client.get(desc["href"]).json()
    validate(document)
    assert document["openapi"].startswith("3.0")
    assert "/collections/incidents/items" in document["paths"] and "/collections/micro-grids/items/{featureId}" in document["paths"]


def check_crs(client):
    collection = client.get("/ogc/collections/command-centres").json()
    assert {"http://www.opengis.net/def/crs/EPSG/0/4490", "http://www.opengis.net/def/crs/EPSG/0/4547"} <= set(collection["crs"])
    assert collection["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/4326"
    to_gk = Transformer.from_crs("OGC:CRS84", "EPSG:4547")  # EPSG axis order: northing, easting
    (n0, e0), (n1, e1) = to_gk.transform(113.005, 23.005), to_gk.transform(113.015, 23.015)
    url = "/ogc/collections/command-centres/items"
    response = client.get(url, {"crs": "http://www.opengis.net/def/crs/EPSG/0/4547", "bbox": f"{n0},{e0},{n1},{e1}",
                                "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4547"})
    assert response["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4547>"
    in_degrees = client.get(url, {"bbox": "113.005,23.005,113.015,23.015"}).json()
    assert [f["id"] for f in response.json()["features"]] == [f["id"] for f in in_degrees["features"]]
    assert in_degrees["numberMatched"] == 1


def check_tiles_core(client):
    tileset = client.get("/ogc/collections/micro-grids/tiles/WebMercatorQuad").json()
    template = next(link["href"] for link in tileset["links"] if link["rel"] == "item")
    url = template.replace("{tileMatrix}", "14").replace("{tileCol}", "13335").replace("{tileRow}", "7115")
    tile = client.get(url)
    assert tile.status_code == 200 and tile["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return tile.content


def check_tileset(client):
    tileset = client.get("/ogc/collections/incidents/tiles/WebMercatorQuad").json()
    assert tileset["dataType"] == "vector" and tileset["tileMatrixSetURI"].endswith("WebMercatorQuad")
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert [m["matrixWidth"] for m in tms["tileMatrices"][:3]] == [1, 2, 4]
    assert tms["tileMatrices"][0]["scaleDenominator"] == pytest.approx(559082264.0287178)


def check_tilesets_list(client):
    listed = client.get("/ogc/collections/micro-grids/tiles").json()["tilesets"]
    assert len(listed) == 1 and listed[0]["crs"].endswith("EPSG/0/3857")
    assert client.get("/ogc/collections/schools/tiles").status_code == 404  # no tile layer draws schools


def check_geodata_tilesets(client):
    collection = client.get("/ogc/collections/micro-grids").json()
    rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    href = next(link["href"] for link in collection["links"] if link["rel"] == rel)
    assert client.get(href).status_code == 200


def check_mvt(client):
    layers = mapbox_vector_tile.decode(check_tiles_core(client))
    assert layers, "the tile is empty"


CHECKS = {
    FEATURES + "core": check_core, FEATURES + "geojson": check_geojson, FEATURES + "html": check_html,
    FEATURES + "oas30": check_oas30, "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs": check_crs,
    TILES + "core": check_tiles_core, TILES + "tileset": check_tileset, TILES + "tilesets-list": check_tilesets_list,
    TILES + "geodata-tilesets": check_geodata_tilesets, TILES + "mvt": check_mvt,
}


def test_declared_classes_are_the_checked_ones(db):
    assert set(Client().get("/ogc/conformance").json()["conformsTo"]) == set(CHECKS)


@pytest.mark.parametrize("conformance_class", sorted(CHECKS))
def test_conformance_class_works(ogc_world, conformance_class):
    CHECKS[conformance_class](Client())
