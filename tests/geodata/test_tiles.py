"""Vector tiles: valid MVT, the layer for the zoom, visibility, filters, and HTTP caching."""
import math

import mapbox_vector_tile
import pytest
from django.test import Client
from django.urls import reverse

from geodata.layers import zone_level_for_zoom
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db

# Every incident lies near the 南庄/祖庙 border (113.02); tiles are taken at that spot.
SPOT = (113.0201, 23.005)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


@pytest.fixture
def people():
    data = build_people()
    zones = data["zones"]
    data["incidents"] = [
        make_incident(zones, ZUMIAO_GRID, status="dispatched", lon=113.0205, lat=23.005),
        make_incident(zones, ZUMIAO_GRID, status="in_progress", overdue=True, lon=113.0206, lat=23.0051),
        make_incident(zones, NANZHUANG_GRID, status="closed", lon=113.0195, lat=23.005),
    ]
    return data


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def tile_url(layer, z, query=""):
    x, y = tile_of(*SPOT, z)
    return reverse("tile", kwargs={"layer": layer, "z": z, "x": x, "y": y}) + (f"?{query}" if query else "")


def decode(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content)


def test_zones_layer_level_follows_zoom(people):
    client = client_for(people["users"]["district"])
    for z, level in ((10, 1), (12, 1), (14, 3), (16, 4)):
        features = decode(client.get(tile_url("zones", z)))["zones"]["features"]
        assert {f["properties"]["level"] for f in features} == {level} == {zone_level_for_zoom(z)}


def test_zone_counts_follow_visibility(people):
    def counts(user):
        features = decode(client_for(user).get(tile_url("zones", 12)))["zones"]["features"]
        return {f["properties"]["code"]: (f["properties"]["open"], f["properties"]["overdue"]) for f in features}

    assert counts(people["users"]["district"]) == {"440604001": (2, 1), "440604101": (0, 0)}
    assert counts(people["users"]["nanzhuang"]) == {"440604001": (0, 0), "440604101": (0, 0)}
    assert counts(people["users"]["zumiao"]) == {"440604001": (2, 1), "440604101": (0, 0)}


def test_incident_points_at_large_zoom_respect_visibility_and_filters(people):
    zumiao_ids = {i.id for i in people["incidents"][:2]}
    district = client_for(people["users"]["district"])
    features = decode(district.get(tile_url("incidents", 16)))["incidents"]["features"]
    assert {f["id"] for f in features} >= zumiao_ids
    overdue = {f["id"]: f["properties"]["overdue"] for f in features}
    assert overdue[people["incidents"][1].id] is True and overdue[people["incidents"][0].id] is False
    only_open = decode(district.get(tile_url("incidents", 16, "status=open")))["incidents"]["features"]
    assert {f["properties"]["status"] for f in only_open} <= {"dispatched", "in_progress"}
    assert decode(district.get(tile_url("incidents", 16, "overdue=1")))["incidents"]["features"][0]["id"] == \
        people["incidents"][1].id
    nanzhuang = client_for(people["users"]["nanzhuang"])
    seen = {f["id"] for f in decode(nanzhuang.get(tile_url("incidents", 16)))["incidents"]["features"]}
    assert seen == {people["incidents"][2].id}


def test_incidents_cluster_at_small_zoom(people):
    features = decode(client_for(people["users"]["district"]).get(tile_url("incidents", 10)))["incidents"]["features"]
    assert sum(f["properties"]["count"] for f in features) == 3
    assert sum(f["properties"]["open"] for f in features) == 2
    assert sum(f["properties"]["overdue"] for f in features) == 1


def test_private_tiles_revalidate_with_etag(people):
    client = client_for(people["users"]["district"])
    first = client.get(tile_url("incidents", 16))
    assert first["Cache-Control"] == "private, no-cache" and first["ETag"]
    again = client.get(tile_url("incidents", 16), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    make_incident(people["zones"], ZUMIAO_GRID)  # new data: a new ETag
    assert client.get(tile_url("incidents", 16), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_position_pings_leave_incident_tiles_cached_and_incident_updates_do_not(people):
    """Issue 13: every ping published an event, and the newest event id was part of every tile's
    ETag, so under live load the tile cache never hit. Only incident events count now."""
    from gridops.incidents.services.positions import worker_positions_record
    from gridops.realtime.services import publish_event

    client = client_for(people["users"]["district"])
    incident = make_incident(people["zones"], ZUMIAO_GRID)
    first = client.get(tile_url("incidents", 16))
    worker_positions_record(user=people["users"]["worker_zm"], pings=[{"lon": 113.031, "lat": 23.005}])
    publish_event(kind="hall.queue", payload={}, audiences=["public"])
    assert client.get(tile_url("incidents", 16), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    publish_event(kind="incident.updated", payload={"id": incident.pk}, audiences=["district"])
    assert client.get(tile_url("incidents", 16), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_users_with_other_visibility_get_other_etags(people):
    a = client_for(people["users"]["district"]).get(tile_url("incidents", 16))
    b = client_for(people["users"]["nanzhuang"]).get(tile_url("incidents", 16))
    assert a["ETag"] != b["ETag"]


def test_zone_geometry_without_counts_is_public(people):
    response = Client().get(tile_url("zones", 14, "counts=0"))
    assert response["Cache-Control"].startswith("public, max-age=")
    assert decode(response)["zones"]["features"]


def test_token_authentication(people):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=people["users"]["district"])
    response = Client().get(tile_url("incidents", 16), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert decode(response)["incidents"]["features"]


@pytest.mark.parametrize("url,status,field", [
    ("/tiles/incidents/16/1/1.pbf?status=bogus", 400, "status"),
    ("/tiles/incidents/16/1/1.pbf?priority=x", 400, "priority"),
    ("/tiles/incidents/16/1/1.pbf?since=yesterday", 400, "since"),
    ("/tiles/incidents/16/1/1.pbf?days=-1", 400, "days"),
    ("/tiles/incidents/3/9/1.pbf", 400, "x"),
    ("/tiles/incidents/30/1/1.pbf", 400, "z"),
    ("/tiles/zones/12/3333/1778.pbf?level=nowhere", 400, "level"),
    ("/tiles/nothing/1/1/1.pbf", 404, "layer"),
])
def test_bad_requests_name_the_field(people, url, status, field):
    response = client_for(people["users"]["district"]).get(url)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_anonymous_gets_no_incidents(people):
    assert Client().get(tile_url("incidents", 16)).status_code == 401


def test_a_warm_tile_comes_from_the_process_without_a_query_or_redis(people):
    """Issue 13: the warm tile's Redis GET was its largest own cost; the serving process keeps
    the bytes under the same key (the ETag holds the data version, so new data is a new key)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people["users"]["district"])
    first = client.get(tile_url("incidents", 16))
    cache.delete("tile:" + first["ETag"].strip('"'))  # only the process still holds it
    with CaptureQueriesContext(connection) as queries:
        again = client.get(tile_url("incidents", 16))
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert not any("ST_AsMVT" in q["sql"] for q in queries.captured_queries)
    make_incident(people["zones"], ZUMIAO_GRID, lon=113.0204, lat=23.0052)
    changed = client.get(tile_url("incidents", 16))
    assert changed["ETag"] != first["ETag"]
    assert len(decode(changed)["incidents"]["features"]) == len(decode(first)["incidents"]["features"]) + 1


def test_only_incident_filters_change_the_etag(people):
    """A query string that names no filter is the unfiltered tile (its key known without building
    the FilterSet); any filter, in any spelling, still changes it."""
    client = client_for(people["users"]["district"])
    plain = client.get(tile_url("incidents", 16))["ETag"]
    assert client.get(tile_url("incidents", 16, "v=2"))["ETag"] == plain
    assert client.get(tile_url("incidents", 16, "status=closed"))["ETag"] != plain
    assert (client.get(tile_url("incidents", 16, "status=closed,dispatched&v=2"))["ETag"]
            == client.get(tile_url("incidents", 16, "status=dispatched,closed"))["ETag"])


def test_the_process_tile_store_is_bounded(settings):
    from geodata.tiles import ProcessTiles

    settings.GRIDOPS_TILES_PROCESS_CACHE_BYTES = 800
    store = ProcessTiles()
    for n in range(9):
        store.put(f"k{n}", bytes(100))
    assert store.get("k0") is None and store.get("k8") == bytes(100)  # least recently used out first
    store.put("big", bytes(101))  # over an eighth of the bound: never kept
    assert store.get("big") is None


def test_concurrent_requests_for_one_new_tile_render_it_once():
    """Every operator's map asks for the same new zone tiles after an incident changed them: one
    request thread renders, the others wait for its bytes (also when a tile is too big to keep)."""
    import threading
    import time

    from geodata.tiles import ProcessTiles

    store, calls, results = ProcessTiles(), [], []

    def render():
        calls.append(1)
        time.sleep(0.2)
        return bytes(10 * 1024 * 1024)  # over the store's bound: the waiters still get these bytes

    threads = [threading.Thread(target=lambda: results.append(store.once("k", render))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(results) == 6 and all(len(body) == 10 * 1024 * 1024 for body in results)
