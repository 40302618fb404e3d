"""Nearest available workers by road, checked against pgRouting's own pgr_dijkstra on the same graph.

The roads: an east-west street along 23.005 N in 祖庙 (113.022-113.038 E) and one along 23.002 N,
joined only at the west end (113.022 E): the two are 330 m apart as the crow flies but about
2.9 km apart by road, so the nearest by road is not the nearest in a straight line.
"""
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from shapely.geometry import LineString

from geodata import roads
from geodata.loaders.roads import roads_from_lines
from geodata.roads_models import RoadEdge
from gridops.accounts.models import Role
from gridops.emergency import nearest
from gridops.incidents.models import WorkerPosition
from tests.builders import make_user
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO, ZUMIAO_GRID, signed_in

pytestmark = pytest.mark.django_db

PLACE = (113.036, 23.005)
NORTH = LineString([(113.022, 23.005), (113.030, 23.005), (113.038, 23.005)])
SOUTH = LineString([(113.022, 23.002), (113.030, 23.002), (113.038, 23.002)])
WEST = LineString([(113.022, 23.002), (113.022, 23.005)])


def at(user, lon, lat, zones, grid_code=ZUMIAO_GRID, minutes_ago=1):
    WorkerPosition.objects.create(user=user, point=Point(lon, lat, srid=4326), grid=zones[grid_code],
                                  town=zones[grid_code[:9]], recorded_at=timezone.now() - timedelta(minutes=minutes_ago))


@pytest.fixture
def field(people):
    zones = people["zones"]
    roads_from_lines([NORTH, SOUTH, WEST])
    workers = {name: make_user(name, Role.GRID_WORKER, grids=[zones[ZUMIAO_GRID]]) for name in
               ("across", "along", "far", "stale")}
    at(workers["across"], 113.036, 23.002, zones)   # 330 m south, across: round by the west end
    at(workers["along"], 113.030, 23.005, zones)    # 600 m west on the same street
    at(workers["far"], 113.024, 23.005, zones)      # 1.2 km west on the same street
    at(workers["stale"], 113.035, 23.005, zones, minutes_ago=90)  # off duty: last seen 90 min ago
    at(people["users"]["worker_nz"], 113.023, 23.0051, zones, grid_code=NANZHUANG_GRID)
    return {**people, "workers": workers}


def pgr_dijkstra_metres(start: int, end: int) -> float | None:
    if start == end:
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT agg_cost FROM pgr_dijkstra(%s, %s::bigint, %s::bigint, directed => true) WHERE edge = -1",
                       (roads.EDGES_SQL, start, end))
        row = cursor.fetchone()
    return row[0] if row else None


def by_pgr_dijkstra(worker: dict, place) -> float:
    """The worker's travel to the place computed independently: leave the worker's street by
    either end it may be driven towards, pgr_dijkstra between street ends, enter the place's
    street by either end it may be driven from (or stay on one street)."""
    mine, theirs = RoadEdge.objects.get(pk=worker["edge"]), RoadEdge.objects.get(pk=place["edge"])
    f, g = worker["fraction"], place["fraction"]
    leave = [(mine.target, (1 - f) * mine.cost)] * (mine.cost >= 0) + [(mine.source, f * mine.reverse_cost)] * (mine.reverse_cost >= 0)
    enter = [(theirs.source, g * theirs.cost)] * (theirs.cost >= 0) + [(theirs.target, (1 - g) * theirs.reverse_cost)] * (theirs.reverse_cost >= 0)
    options = [a_m + between + b_m for a, a_m in leave for b, b_m in enter
               if (between := pgr_dijkstra_metres(a, b)) is not None]
    if mine.pk == theirs.pk:
        options.append(abs(g - f) * (mine.cost if g >= f else mine.reverse_cost))
    return min(options) + worker["gap_m"] + place["gap_m"]


def test_nearest_by_road_matches_pgr_dijkstra_and_beats_the_straight_line(field):
    result = nearest.nearest_workers(field["users"]["district"], *PLACE, k=10)
    names = [w["username"] for w in result["workers"]]
    assert names == ["along", "far", "worker_nz", "across"]  # the stale one is off duty
    place = result["point"]
    for worker in result["workers"]:
        assert worker["road_m"] == pytest.approx(by_pgr_dijkstra(worker, place), abs=0.5)
        assert worker["route"]["type"] == "LineString"
    across = result["workers"][-1]
    assert across["road_m"] > 2500  # 330 m away as the crow flies


def test_k_jurisdiction_and_busy_workers(field):
    users = field["users"]
    assert [w["username"] for w in nearest.nearest_workers(users["district"], *PLACE, k=2)["workers"]] == ["along", "far"]
    # A town operator is offered only the workers whose positions they may see (their town).
    assert "worker_nz" not in [w["username"] for w in nearest.nearest_workers(users["zumiao"], *PLACE, k=10)["workers"]]
    from gridops.emergency import services

    emergency, _ = services.emergency_declare(user=users["district"], kind="accident", title="事故",
                                              area={"zones": [ZUMIAO]})
    along = field["workers"]["along"]
    services.task_advance(user=along, task_id=emergency.tasks.get(worker=along).pk, status="on_the_way")
    assert "along" not in [w["username"] for w in nearest.nearest_workers(users["district"], *PLACE, k=10)["workers"]]


def test_api_answers_operators_and_names_bad_fields(field):
    users = field["users"]
    url = reverse("emergency-api:nearest-workers")
    body = signed_in(users["zumiao"]).get(url, {"lon": PLACE[0], "lat": PLACE[1], "k": 1}).json()
    assert [w["username"] for w in body["workers"]] == ["along"]
    assert signed_in(users["worker_zm"]).get(url, {"lon": PLACE[0], "lat": PLACE[1]}).status_code == 403
    for params, name in [({"lat": 23}, "lon"), ({"lon": 113, "lat": "x"}, "lat"), ({"lon": 113, "lat": 23, "k": 0}, "k"),
                         ({"lon": 113, "lat": 23, "k": 2.5}, "k")]:
        response = signed_in(users["district"]).get(url, params)
        assert response.status_code == 400 and response.json()["error"]["field"] == name


def test_no_road_graph_is_503(people):
    url = reverse("emergency-api:nearest-workers")
    response = signed_in(people["users"]["district"]).get(url, {"lon": PLACE[0], "lat": PLACE[1]})
    assert response.status_code == 503 and response.json()["error"]["field"] == "roads"
