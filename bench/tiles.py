"""Vector tiles at zooms 12–18 through HTTP against the same `ST_AsMVT` query run directly.

The district carries a generated incident history (`generate_history`, 540,000 incidents over
three years, as in the issue). For each zoom the bench picks tiles covering the district
(the tiles under random points of the district polygon), and for every tile times:

- `sql`: `geodata.tiles.render_tile()` in this process — the exact query the view runs, for the
  same user and filters, on a plain connection (the baseline);
- `http_cold`: GET /tiles/... through uvicorn with the console's session cookie, the server's
  tile cache emptied first, so the endpoint renders (auth, ETag, cache miss, render, cache set);
- `http_warm`: the same GET again (served from the Redis tile cache);
- `http_304`: the same GET with `If-None-Match` (the browser's revalidation).

SQL and HTTP alternate tile by tile (after an untimed SQL pass that warms PostgreSQL's buffers),
so machine noise hits both alike. Goal (issue 4): HTTP within 1.5× of the raw SQL (p50, cold).
"""
from __future__ import annotations

import http.client
import math
import random
from datetime import date, timedelta
from urllib.parse import urlencode, urlparse

from django.core.cache import cache
from django.test import RequestFactory

from bench.support import live_server, percentiles_ms, timed

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue"]
HISTORY_INCIDENTS = 540_000
ZOOMS = range(12, 19)
SAMPLES_PER_ZOOM = 30
# (name, layer, query string): what the console asks for by default, and heavier variants.
VARIANTS = [
    ("incidents_open", "incidents", {"status": "open"}),
    # A fixed start date (not `days=`), so the endpoint and the baseline select the same rows.
    ("incidents_last_year", "incidents", {"since": (date.today() - timedelta(days=365)).isoformat()}),
    ("zones_open_counts", "zones", {"status": "open"}),
]
USERNAME = "bench-tiles-district"
GOAL_RATIO = 1.5


def _ensure_history() -> int:
    """Top the incident table up to HISTORY_INCIDENTS with the incidents app's generator."""
    from django.db import connection

    from gridops.incidents.history import generate_history
    from gridops.incidents.models import Incident

    missing = HISTORY_INCIDENTS - Incident.objects.count()
    if missing > 1000:
        generate_history(incidents=missing, years=3.0, seed=4)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incidents_incident")
    return Incident.objects.count()


def _operator():
    from django.contrib.auth import get_user_model

    from geodata.models import Level, Zone
    from gridops.accounts.models import Profile, Role

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    Profile.objects.update_or_create(user=user, defaults={
        "role": Role.DISTRICT_OPERATOR, "zone": Zone.objects.get(level=Level.DISTRICT)})
    return user


def _session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return x, y


def _tiles(z: int, points) -> list[tuple[int, int, int]]:
    """SAMPLES_PER_ZOOM tiles under the points (distinct where the zoom has that many)."""
    distinct = list(dict.fromkeys(_tile_of(lon, lat, z) for lon, lat in points))
    rng = random.Random(z)
    rng.shuffle(distinct)
    picked = (distinct * (SAMPLES_PER_ZOOM // len(distinct) + 1))[:SAMPLES_PER_ZOOM]
    return [(z, x, y) for x, y in picked]


def _district_points(n: int) -> list[tuple[float, float]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 7))).geom AS g "
                       "FROM geodata_zone WHERE level = 0) s", [n])
        return cursor.fetchall()


def _summary(body: bytes) -> list:
    """What a tile shows (features by id, or cluster counts): ST_AsMVT's bytes vary with row order."""
    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(body)
    return sorted((name, feature.get("id"), feature["properties"].get("count"))
                  for name, layer in layers.items() for feature in layer["features"])


def _same_tile(a: bytes, b: bytes) -> bool:
    return a == b or _summary(a) == _summary(b)


class Endpoint:
    """One keep-alive HTTP connection to the tile endpoint, with the console's cookie."""

    def __init__(self, base_url: str, cookie: str):
        self.url = urlparse(base_url)
        self.cookie = f"sessionid={cookie}"
        self.conn = None
        self.reopen()

    def reopen(self) -> None:
        """A fresh connection, used once before timing (uvicorn drops idle keep-alives after 5 s)."""
        if self.conn is not None:
            self.conn.close()
        self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        self.conn.request("GET", "/tablet/manifest.webmanifest")
        self.conn.getresponse().read()

    def get(self, path: str, etag: str | None = None) -> tuple[int, bytes, str]:
        headers = {"Cookie": self.cookie}
        if etag:
            headers["If-None-Match"] = etag
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        return response.status, body, response.getheader("ETag")


def _variant(endpoint: Endpoint, user, layer_name: str, params: dict, tiles_by_zoom: dict) -> dict:
    from geodata.tiles import LAYERS, Tile, render_tile

    layer = LAYERS[layer_name]
    query = urlencode(params)

    def fresh_request():
        """A new request per render, like the endpoint's (nothing memoised across tiles)."""
        request = RequestFactory().get("/", params)
        request.user = user
        return request

    results = {}
    for z, tiles in tiles_by_zoom.items():
        for tile in tiles:  # untimed: warm PostgreSQL's buffers for both sides
            render_tile(layer, Tile(*tile), fresh_request())
        cache.clear()
        endpoint.reopen()
        sql, cold, warm, revalidate, sizes = [], [], [], [], []
        for n, (tz, tx, ty) in enumerate(tiles):
            path = f"/tiles/{layer_name}/{tz}/{tx}/{ty}.pbf?{query}"
            request = fresh_request()
            run_sql = lambda: render_tile(layer, Tile(tz, tx, ty), request)  # noqa: E731
            run_http = lambda: endpoint.get(path)  # noqa: E731
            if n % 2:
                sql_s, body = timed(run_sql)
                http_s, (status, http_body, etag) = timed(run_http)
            else:
                http_s, (status, http_body, etag) = timed(run_http)
                sql_s, body = timed(run_sql)
            assert status == 200 and _same_tile(http_body, body), (path, status, len(http_body), len(body))
            sql.append(sql_s)
            cold.append(http_s)
            sizes.append(len(body))
            warm_s, (status, _, _) = timed(endpoint.get, path)
            assert status == 200
            warm.append(warm_s)
            revalidate_s, (status, _, _) = timed(endpoint.get, path, etag)
            assert status == 304
            revalidate.append(revalidate_s)
            if n % len(set(tiles)) == len(set(tiles)) - 1:
                cache.clear()  # a repeated tile must miss the cache again to count as cold
        sql_p, cold_p = percentiles_ms(sql), percentiles_ms(cold)
        results[str(z)] = {
            "sql": sql_p, "http_cold": cold_p, "http_warm": percentiles_ms(warm), "http_304": percentiles_ms(revalidate),
            "ratio_p50": round(cold_p["p50_ms"] / sql_p["p50_ms"], 2),
            "ratio_p99": round(cold_p["p99_ms"] / sql_p["p99_ms"], 2),
            "tiles": len(set(tiles)), "mean_bytes": round(sum(sizes) / len(sizes)),
        }
    return results


def run() -> dict:
    incidents = _ensure_history()
    user = _operator()
    cookie = _session_cookie(user)
    points = _district_points(2000)
    tiles_by_zoom = {z: _tiles(z, points) for z in ZOOMS}
    out = {"incidents": incidents, "samples_per_zoom": SAMPLES_PER_ZOOM}
    with live_server() as base_url:
        endpoint = Endpoint(base_url, cookie)
        endpoint.get("/tiles/zones/12/3333/1781.pbf")  # warm the worker (imports, connection)
        # The floor: a signed-in request that does no tile work (what HTTP + Django cost here).
        endpoint.reopen()
        out["http_floor_me"] = percentiles_ms([timed(endpoint.get, "/api/v1/me/")[0] for _ in range(100)])
        for name, layer_name, params in VARIANTS:
            out[name] = _variant(endpoint, user, layer_name, params, tiles_by_zoom)
    worst = max(zoom["ratio_p50"] for name, _, _ in VARIANTS for zoom in out[name].values())
    out.update({"worst_ratio_p50": worst, "goal_ratio": GOAL_RATIO, "met": worst <= GOAL_RATIO})
    return out
