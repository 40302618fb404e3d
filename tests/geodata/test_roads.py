"""The road graph: topology built by the importer, distances and routes answered by pgRouting."""
import random

import geopandas as gpd
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from pyproj import Geod
from shapely.geometry import LineString, Point

from geodata import roads
from geodata.loaders import roads as loader
from geodata.roads_models import RoadEdge, RoadVertex
from tests.emergency.test_nearest import by_pgr_dijkstra

pytestmark = pytest.mark.django_db

# a ---- b ---- c ---- d along 23.0 N (about 1 km a step); a to c also by a long bend north.
A, B, C, D = (113.00, 23.0), (113.01, 23.0), (113.02, 23.0), (113.03, 23.0)
BEND = LineString([A, (113.00, 23.02), (113.02, 23.02), C])


def _pgr_cost(start: int, end: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT agg_cost FROM pgr_dijkstraCost(%s, %s::bigint, %s::bigint, directed => true)",
                       (roads.EDGES_SQL, start, end))
        return cursor.fetchone()[0]


def test_the_shorter_way_round_is_taken():
    loader.roads_from_lines([LineString([A, B]), LineString([B, C]), BEND, LineString([C, D])])
    ab, bc, cd = (LineString(p) for p in ((A, B), (B, C), (C, D)))
    metres = [roads.distances_from(A, [place])[0] for place in (B, C, D)]
    straight = [RoadEdge.objects.get(geom__equals=line.wkt).cost for line in (ab, bc, cd)]
    assert metres == pytest.approx([straight[0], straight[0] + straight[1], sum(straight)])
    assert RoadEdge.objects.count() == 4 and RoadVertex.objects.count() == 4


def test_no_graph_means_no_distance():
    assert roads.distances_from(A, [B]) == [None] and roads.anchor([A]) is None


def test_a_place_half_way_down_a_street_is_half_way_down_it():
    loader.roads_from_lines([LineString([A, C])])
    half = RoadEdge.objects.get().cost / 2
    assert roads.distances_from(A, [B]) == [pytest.approx(half, rel=1e-3)]
    # 0.001 degree north of the street: the straight gap (about 111 m) is the whole way.
    assert roads.distances_from((113.01, 23.001), [B]) == [pytest.approx(110.7, rel=0.01)]


def test_route_geometry_follows_the_streets_and_matches_pgr_dijkstra():
    loader.roads_from_lines([LineString([A, B]), LineString([B, C]), BEND, LineString([C, D])])
    to_d, from_a = roads.anchor([D, A])
    [route] = roads.routes_to(to_d, [from_a])
    line = route["geometry"]["coordinates"]
    assert route["geometry"]["type"] == "LineString" and line[0] == pytest.approx(list(A)) and line[-1] == pytest.approx(list(D))
    assert {tuple(xy) for xy in line} >= {B, C}  # along the streets, not round the bend
    vertex = {xy: pk for pk, xy in ((v.pk, (v.geom.x, v.geom.y)) for v in RoadVertex.objects.all())}
    assert route["metres"] == pytest.approx(_pgr_cost(vertex[A], vertex[D]))
    assert roads.distances_to(D, [A]) == [pytest.approx(route["metres"])]
    found = roads.nearest_to(D, [A, B, C], k=2)[1]
    assert [(n.index, round(n.metres)) for n in found] == [(2, round(roads.distances_to(D, [C])[0])),
                                                           (1, round(roads.distances_to(D, [B])[0]))]


def _write(tmp_path, rows, crs=4326, name="roads.gpkg"):
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_import_builds_junctions_from_shared_vertices_respects_one_way_and_bridges(tmp_path):
    rows = [
        {"name": "东西路", "oneway": "yes", "highway": "primary", "geometry": LineString([A, B, C])},
        {"name": "南北路", "oneway": None, "highway": "residential",
         "geometry": LineString([(113.01, 22.99), B, (113.01, 23.01)])},
        # A bridge over 东西路 between B and C: it crosses without a shared vertex.
        {"name": "高架", "oneway": None, "highway": "trunk",
         "geometry": LineString([(113.015, 22.99), (113.015, 23.01)])},
        {"name": "河", "oneway": None, "highway": None, "geometry": LineString([A, (113.0, 23.05)])},
    ]
    path = _write(tmp_path, rows)
    dry = loader.run(path)
    assert dry.ok and not dry.committed and dry.counts["read"] == 3 and RoadEdge.objects.count() == 0
    report = loader.run(path, commit=True)
    # 东西路 cut at B into two edges, 南北路 cut at B into two, the bridge whole.
    assert report.ok and report.counts["edges"] == 5 and report.counts["vertices"] == 7
    assert roads.distances_from(A, [C])[0] is not None
    assert roads.distances_from(C, [A]) == [None]  # one way: east only
    assert roads.distances_from((113.015, 23.01), [B]) == [None]  # the bridge does not meet the street
    noded = loader.run(path, commit=True, node_intersections=True)
    assert noded.counts["edges"] == 7  # the bridge now meets 东西路 (and cuts it) where they cross
    assert roads.distances_from((113.015, 23.01), [C])[0] == pytest.approx(
        roads.distances_from((113.015, 23.01), [(113.015, 23.0)])[0] + 514, rel=0.02)


def test_import_reprojects_and_reports_bad_input(tmp_path):
    metres = gpd.GeoSeries([LineString([A, B])], crs=4326).to_crs(4547).iloc[0]
    path = _write(tmp_path, [{"name": "x", "geometry": metres}], crs=4547, name="cgcs.gpkg")
    assert loader.run(path, commit=True).ok
    assert RoadEdge.objects.get().cost == pytest.approx(1024, rel=0.01)
    points = _write(tmp_path, [{"name": "p", "geometry": Point(A)}], name="points.gpkg")
    report = loader.run(points, commit=True)
    assert not report.ok and "not a line" in str(report.problems[0]) and RoadEdge.objects.count() == 1
    assert "cannot read" in str(loader.run(tmp_path / "missing.gpkg").problems[0])


def test_import_roads_command(tmp_path):
    path = _write(tmp_path, [{"name": "x", "geometry": LineString([A, B])}])
    call_command("import_roads", str(path))
    assert RoadEdge.objects.count() == 0
    call_command("import_roads", str(path), "--commit")
    assert RoadEdge.objects.count() == 1
    with pytest.raises(CommandError, match="problems"):
        call_command("import_roads", str(tmp_path / "missing.gpkg"), "--commit")


def test_demo_street_graph_is_one_network_from_the_grid_boundaries_and_idempotent(db):
    from bench.education import build_lattice_district

    build_lattice_district(areas=1, villages=(2, 1), grids=(2, 2))
    messages = []
    loader.load_demo_roads(messages.append)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT component) FROM pgr_connectedComponents(%s)", (roads.EDGES_SQL,))
        assert cursor.fetchone()[0] == 1
    edges = RoadEdge.objects.count()
    assert edges > 0 and RoadEdge.objects.filter(source=F("target")).count() == 0
    loader.load_demo_roads(messages.append)
    assert messages[-1].endswith("already loaded, skipped") and RoadEdge.objects.count() == edges



def _street_grid():
    """Six streets each way, 300 m apart, noded where they cross; two one-way (east only along
    23.003 N, north only along 113.006 E) and the middle of 23.006 N missing, so the nearest by
    road is often not the nearest in a straight line."""
    step, n = 0.003, 6
    lons = [113.0 + i * step for i in range(n)]
    lats = [23.0 + j * step for j in range(n)]
    streets = [loader.Road(LineString([(lons[0], lat), (lons[-1], lat)]), oneway=int(j == 1)) for j, lat in enumerate(lats)
               if j != 2]
    streets += [loader.Road(LineString([(lons[0], lats[2]), (lons[2], lats[2])])),
                loader.Road(LineString([(lons[3], lats[2]), (lons[-1], lats[2])]))]
    streets += [loader.Road(LineString([(lon, lats[0]), (lon, lats[-1])]), oneway=int(i == 2)) for i, lon in enumerate(lons)]
    loader.graph_replace(*loader.build_topology(streets, node_intersections=True))


def test_nearest_by_one_search_equals_the_general_walk_and_every_distance(monkeypatch):
    """k nearest of 150 workers to a place: the same workers, metres and routes whether proved by
    one pgRouting search to the nearest page of them or by the general walk, and the same as
    sorting every worker's distance (one unbounded search); one-way streets driven only their way."""
    _street_grid()
    rng = random.Random(17)
    others = [(113.0 + rng.uniform(0, 0.015), 23.0 + rng.uniform(0, 0.015)) for _ in range(150)]
    place = (113.0071, 23.0068)
    by_road = roads.distances_to(place, others)  # one unbounded search, every worker
    expected = sorted((metres, i) for i, metres in enumerate(by_road) if metres is not None)
    proved = []
    one_search = roads._nearest_by_paths
    monkeypatch.setattr(roads, "_nearest_by_paths", lambda *args: proved.append(one_search(*args)) or proved[-1])
    for k in (1, 3, 5, 8):
        here, found, total = roads.nearest_to(place, others, k)
        assert total == len(others)
        assert [n.index for n in found] == [i for _, i in expected[:k]]
        assert [n.metres for n in found] == pytest.approx([m for m, _ in expected[:k]], abs=0.01)
        with monkeypatch.context() as general:
            general.setattr(roads, "_nearest_by_paths", lambda *args: None)
            walked = roads.nearest_to(place, others, k)[1]
        assert [(n.index, n.route) for n in walked] == [(n.index, n.route) for n in found]
        assert [n.metres for n in walked] == pytest.approx([n.metres for n in found], abs=1e-6)
        for n in found:  # pgr_dijkstra's figure; the route runs from the worker's street to the place's
            assert n.metres == pytest.approx(by_pgr_dijkstra(_as_row(n.anchor), _as_row(here)), abs=0.5)
            start, end = n.route["coordinates"][0], n.route["coordinates"][-1]
            assert _metres(start, others[n.index]) == pytest.approx(n.anchor.gap_m, abs=0.5)
            assert _metres(end, place) == pytest.approx(here.gap_m, abs=0.5)
    # Both ways of answering were taken: the one search proved the small k, the walk the rest.
    assert [p is not None for p in proved] == [True, True, False, False]


def _metres(a, b) -> float:
    return Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2]


def _as_row(anchor: roads.Anchor) -> dict:
    return {"edge": anchor.edge, "fraction": anchor.fraction, "gap_m": anchor.gap_m}
