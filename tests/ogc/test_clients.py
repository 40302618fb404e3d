"""Third-party OGC API clients against a live uvicorn (tests/browser_support.py): GDAL's OAPIF
driver (what QGIS uses under the hood) and OWSLib's Features client."""
import json
import subprocess

import pytest
from owslib.ogcapi.features import Features
from rest_framework.authtoken.models import Token

from tests.geojson_support import assert_rfc7946
from tests.incidents.factories import NZ_GRID1, NZ_POINT, build_world

from .conftest import bulk_incidents

pytestmark = pytest.mark.django_db(transaction=True)


def gdal(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ogrinfo_lists_the_collections_and_ogr2ogr_copies_the_micro_grids(asgi_server, tiny_district, tmp_path):
    listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{asgi_server.url}/ogc/")
    for cid in ("district", "towns", "areas", "villages", "micro-grids", "command-centres", "schools",
                "service-halls", "food-stalls", "incidents"):
        assert f": {cid} (" in listing or f": {cid}\n" in listing, listing
    out = tmp_path / "grids.geojson"
    gdal("ogr2ogr", "-f", "GeoJSON", "-lco", "RFC7946=YES", str(out), f"OAPIF:{asgi_server.url}/ogc/", "micro-grids")
    copied = json.loads(out.read_text())
    assert assert_rfc7946(copied) == 4
    assert {f["properties"]["code"] for f in copied["features"]} == {c for c in tiny_district if len(c) == 17}


def test_ogr2ogr_copies_the_visible_incidents_with_a_token(asgi_server, tiny_district, tmp_path):
    world = build_world(tiny_district)
    ids = bulk_incidents(7, NZ_GRID1, NZ_POINT)
    key = Token.objects.create(user=world["users"]["nanzhuang_op"]).key
    out = tmp_path / "incidents.geojson"
    gdal("ogr2ogr", "-f", "GeoJSON", "-preserve_fid", "--config", "GDAL_HTTP_HEADERS", f"Authorization: Token {key}",
         str(out), f"OAPIF:{asgi_server.url}/ogc/", "incidents")
    copied = json.loads(out.read_text())["features"]
    assert sorted(f["id"] for f in copied) == sorted(ids)
    anonymous = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{asgi_server.url}/ogc/", "incidents"],
                               capture_output=True, text=True, timeout=60)
    assert "HTTP error code : 401" in anonymous.stderr  # ogrinfo -so reports it and still exits 0


def test_owslib_pages_through_more_than_10000_incidents_by_next_links(asgi_server, tiny_district):
    world = build_world(tiny_district)
    ids = set(bulk_incidents(10_001, NZ_GRID1, NZ_POINT))
    key = Token.objects.create(user=world["users"]["district_op"]).key
    client = Features(f"{asgi_server.url}/ogc", headers={"Authorization": f"Bearer {key}"})
    assert "incidents" in client.feature_collections()
    seen, pages, params = [], 0, {"limit": 10_000}
    while True:
        page = client.collection_items("incidents", **params)
        pages += 1
        assert page["numberMatched"] == 10_001
        seen += [f["id"] for f in page["features"]]
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            break
        query = dict(part.split("=", 1) for part in following[0].split("?", 1)[1].split("&"))
        params = {"limit": int(query["limit"]), "offset": int(query["offset"])}
    assert pages == 2 and len(seen) == len(set(seen)) == 10_001 and set(seen) == ids
