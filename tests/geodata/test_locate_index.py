"""Locate from the process's index answers exactly what the rule in PostGIS answers.

`geodata.selectors.locate_index` holds a generation's micro-grids in memory; `LOCATE_ONE_SQL` and
`LOCATE_MANY_SQL` state the rule as one statement. Over the demo district (921 micro-grids) they
must give the same row for random points, for every vertex of every micro-grid (points on shared
boundaries, where the lowest code wins), for edge midpoints and for points outside; the index
must follow zone changes made in this process at once; and an older generation is answered from
its own zones.
"""
import random

import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from geodata.loaders.demo import load_demo_zones
from geodata.models import CommandCentre, Level, Zone
from geodata.selectors import LOCATE_MANY_SQL, LOCATE_ONE_SQL, locate_point
from geodata.selectors.locate import LOCATE_ONE_IN_GENERATION_SQL
from geodata.selectors.locate_index import index_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def district():
    load_demo_zones(lambda message: None)
    grids = list(Zone.objects.filter(level=Level.GRID, generation_high__isnull=True).order_by("code"))
    assert len(grids) == 921 and CommandCentre.objects.exists()
    return grids


def _sql_row(lon, lat, sql=LOCATE_ONE_SQL, extra=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, [*extra, lon, lat])
        return cursor.fetchone()


def _boundary_points(grids, every: int) -> list[tuple[float, float]]:
    """Every vertex of every `every`-th micro-grid, and the midpoints of its edges."""
    points = []
    for grid in grids[::every]:
        coords = shapely.get_coordinates(shapely.boundary(shapely.from_wkb(bytes(grid.geom.wkb)))).tolist()
        points += [tuple(c) for c in coords]
        points += [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(coords, coords[1:])]
    return points


def test_index_answers_as_the_sql_for_random_boundary_and_outside_points(district):
    extent = GEOSGeometry(Zone.objects.get(level=Level.DISTRICT).geom).extent
    rng = random.Random(20261201)
    pad = 0.02
    points = [(rng.uniform(extent[0] - pad, extent[2] + pad), rng.uniform(extent[1] - pad, extent[3] + pad))
              for _ in range(1500)]
    points += _boundary_points(district, every=7)
    points += [(0.0, 0.0), (113.0, 23.0), (-179.9, -89.9)]
    index = index_for()
    located = outside = on_shared_boundary = 0
    for lon, lat in points:
        expected = _sql_row(lon, lat)
        assert index.row(lon, lat) == expected, (lon, lat)
        located += expected is not None
        outside += expected is None
    for lon, lat in _boundary_points(district, every=7)[:400]:
        hits = index.tree.query(shapely.points(lon, lat), predicate="intersects")
        on_shared_boundary += len(hits) > 1
    # The sample really holds each case it claims to.
    assert located > 800 and outside > 100 and on_shared_boundary > 100


def test_batch_answers_as_the_batch_sql(district):
    points = _boundary_points(district, every=31)[:300] + [(113.1, 23.02), (0.0, 0.0)]
    with connection.cursor() as cursor:
        cursor.execute(LOCATE_MANY_SQL, [[p[0] for p in points], [p[1] for p in points]])
        expected = [None] * len(points)
        for row in cursor.fetchall():
            expected[row[0] - 1] = tuple(row[1:])
    assert index_for().rows(points) == expected
    assert sum(row is not None for row in expected) > 250


def test_a_zone_change_in_this_process_is_seen_at_once(district):
    lon, lat = 113.1, 23.02
    before = locate_point(lon, lat)
    grid = Zone.objects.get(pk=before.grid.pk)
    grid.name = "改名网格"
    grid.save()
    assert locate_point(lon, lat).grid.name == "改名网格"
    grid.geom = GEOSGeometry("MULTIPOLYGON(((0 0, 0.001 0, 0.001 0.001, 0 0.001, 0 0)))", srid=4326)
    grid.save()
    after = locate_point(lon, lat)
    assert after is None or after.grid.pk != grid.pk
    assert (after and after.grid.code) == ((row := _sql_row(lon, lat)) and row[29])


def test_a_generation_is_answered_from_its_own_zones(district):
    """The generation path (the statement with the generation's bounds) gives the SQL's rows too;
    tests/geodata/test_generations.py checks an older generation against its redrawn successor."""
    from geodata.models import Generation

    current = Generation.objects.get(valid_to__isnull=True)
    index = index_for(current)
    for lon, lat in _boundary_points(district, every=97):
        assert index.row(lon, lat) == _sql_row(lon, lat, LOCATE_ONE_IN_GENERATION_SQL, [current.pk, current.pk])


def test_the_population_roll_up_written_in_sql_moves_the_index_on(district):
    from django.db.models import Sum

    from geodata.services import zones_roll_up_population

    lon, lat = 113.1, 23.02
    village = locate_point(lon, lat).village
    Zone.objects.filter(pk=locate_point(lon, lat).grid.pk).update(residents=123_456)  # no signal
    zones_roll_up_population()
    expected = Zone.objects.filter(parent_id=village.pk).aggregate(total=Sum("residents"))["total"]
    assert expected != village.residents
    assert locate_point(lon, lat).village.residents == expected


def test_without_redis_the_index_is_rebuilt_at_most_once_per_check_interval(tiny_district, settings, monkeypatch):
    from gridops.core import refcache

    monkeypatch.setattr(refcache, "generation", lambda: -1)  # what it answers when Redis does not
    settings.GRIDOPS_REFERENCE_CHECK_SECONDS = 60
    first = index_for()
    assert index_for() is first
    settings.GRIDOPS_REFERENCE_CHECK_SECONDS = 0
    assert index_for() is not first
