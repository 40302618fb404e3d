"""The generator's building blocks on small inline shapes, and the shipped fixture's promises."""
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geodata.loaders import generate

FIXTURE = Path(generate.DEFAULT_OUTPUT)


@pytest.fixture(scope="module")
def layers():
    return {name: gpd.read_file(FIXTURE, layer=name) for name in [*generate.LEVEL_LAYERS, "command_centres"]}


def test_largest_remainder_sums_exactly_and_respects_minimum():
    counts = generate.largest_remainder(np.array([0.7, 0.2, 0.1, 0.0]), 12, minimum=1)
    assert counts.sum() == 12
    assert counts.min() >= 1
    assert list(counts) == sorted(counts, reverse=True)


def test_largest_remainder_refuses_impossible_minimum():
    with pytest.raises(ValueError, match="at least"):
        generate.largest_remainder(np.ones(5), 4, minimum=1)


def test_clip_halfplane_keeps_the_named_side():
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]], dtype=float)
    left = generate._clip_halfplane(square, np.array([1.0, 0.0]), 1.0)  # x <= 1
    assert Polygon(left).area == pytest.approx(2.0)
    assert Polygon(left).bounds == (0.0, 0.0, 1.0, 2.0)


def _lattice(parent, spacing=10.0):
    minx, miny, maxx, maxy = parent.bounds
    gx, gy = np.meshgrid(np.arange(minx + 5, maxx, spacing), np.arange(miny + 5, maxy, spacing))
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    return xy[shapely.contains_xy(parent, xy[:, 0], xy[:, 1])]


def test_split_partitions_exactly_into_compact_cells_of_equal_mass():
    parent = Polygon([(0, 0), (1000, 0), (1000, 600), (400, 600), (400, 1000), (0, 1000)])  # an L
    xy = _lattice(parent)
    mass = np.ones(len(xy)) / len(xy)
    cells = generate._split(parent, xy, mass, 6, np.random.default_rng(1))
    assert len(cells) == 6
    union = shapely.union_all(cells)
    assert parent.symmetric_difference(union).area < 1e-3
    assert sum(c.area for c in cells) == pytest.approx(parent.area, rel=1e-6)  # no overlap
    for c in cells:
        assert c.area == pytest.approx(parent.area / 6, rel=0.2)
        assert 4 * np.pi * c.area / c.length**2 > 0.5  # Polsby-Popper compactness
        assert shapely.get_num_geometries(c) == 1


def test_split_makes_dense_cells_small():
    parent = Polygon([(0, 0), (2000, 0), (2000, 1000), (0, 1000)])
    xy = _lattice(parent)
    density = 1 + 20 * np.exp(-((xy[:, 0] - 300) ** 2 + (xy[:, 1] - 500) ** 2) / (2 * 300**2))
    cells = generate._split(parent, xy, density / density.sum(), 8, np.random.default_rng(2))
    core = next(c for c in cells if c.intersects(Point(300, 500)))
    far = next(c for c in cells if c.intersects(Point(1900, 500)))
    assert core.area < far.area / 2


def test_split_is_deterministic_for_a_seed():
    parent = Polygon([(0, 0), (800, 0), (800, 800), (0, 800)])
    xy = _lattice(parent)
    mass = np.ones(len(xy)) / len(xy)
    a = generate._split(parent, xy, mass, 5, np.random.default_rng(7))
    b = generate._split(parent, xy, mass, 5, np.random.default_rng(7))
    assert all(x.equals_exact(y, 0) for x, y in zip(a, b))


def test_boundary_is_converted_from_gcj02_and_measures_the_district():
    boundary = generate.boundary_metric()
    assert boundary.area / 1e6 == pytest.approx(154.7, rel=0.01)
    # GCJ-02 is shifted several hundred metres north-east of WGS84: the converted outline moves back.
    raw = generate._to_metric(shapely.union_all(gpd.read_file(generate.BOUNDARY_PATH).geometry.values))
    shift = np.subtract(raw.centroid.coords[0], boundary.centroid.coords[0])
    assert 200 < np.hypot(*shift) < 800


def test_fixture_has_the_exact_counts_and_fields(layers):
    assert {n: len(layers[n]) for n in generate.LEVEL_LAYERS} == {"district": 1, "town": 4, "area": 12, "village": 139, "grid": 921}
    for name in generate.LEVEL_LAYERS:
        assert {"code", "name", "level", "parent_code", "residents", "households", "area_m2"} <= set(layers[name].columns)
        assert layers[name].crs.to_epsg() == 4326
        assert layers[name].geometry.is_valid.all()
        assert (layers[name].geom_type == "MultiPolygon").all()
    assert set(layers["command_centres"].columns) >= {"code", "name", "zone_code"}


def test_fixture_codes_nest_by_prefix(layers):
    for upper, lower in zip(generate.LEVEL_LAYERS, generate.LEVEL_LAYERS[1:]):
        parents = set(layers[upper].code)
        assert set(layers[lower].parent_code) <= parents
        assert all(code.startswith(parent) for code, parent in zip(layers[lower].code, layers[lower].parent_code))
    assert layers["grid"].code.str.len().eq(17).all()


@pytest.mark.parametrize("code,name,lonlat", [
    ("440604001", "祖庙街道", (113.114, 23.031)),
    ("440604002", "石湾镇街道", (113.112, 22.998)),
    ("440604003", "张槎街道", (113.078, 23.045)),
    ("440604101", "南庄镇", (113.020, 22.985)),
])
def test_town_seats_fall_in_their_town(layers, code, name, lonlat):
    towns = layers["town"]
    hit = towns[towns.contains(Point(*lonlat))]
    assert list(hit.code) == [code]
    assert list(hit.name) == [name]


def test_towns_are_plausible(layers):
    towns = layers["town"].set_index("code")
    area = towns.area_m2 / 1e6
    density = towns.residents / area
    assert area["440604101"] == pytest.approx(area.sum() / 2, rel=0.15)  # 南庄 about half
    assert area.idxmax() == "440604101" and density.idxmin() == "440604101"
    assert density.idxmax() == "440604001"  # the old town is the densest
    grids = layers["grid"]
    mean_grid = grids.groupby(grids.code.str[:9]).area_m2.mean()
    assert mean_grid["440604001"] < mean_grid["440604101"] / 2


def test_population_is_plausible_and_rolls_up(layers):
    grids, district = layers["grid"], layers["district"].iloc[0]
    assert district.residents == grids.residents.sum() == pytest.approx(1_200_000, rel=0.05)
    assert district.households == grids.households.sum()
    assert district.residents / district.households == pytest.approx(2.6, rel=0.1)
    assert (grids.residents > 0).all()
    for upper, lower in zip(generate.LEVEL_LAYERS, generate.LEVEL_LAYERS[1:]):
        sums = layers[lower].groupby("parent_code").residents.sum()
        assert (layers[upper].set_index("code").residents == sums).all()


def test_names_follow_the_local_style(layers):
    assert layers["district"].name.tolist() == ["禅城区"]
    assert layers["area"].name.str.endswith("片区").all()
    assert layers["village"].name.str.match(r".+(社区|村)$").all()
    assert layers["village"].name.is_unique
    grid = layers["grid"].iloc[0]
    village = layers["village"].set_index("code").loc[grid.parent_code]
    assert grid["name"] == f"{village['name']}第1网格"


def test_command_centres_sit_in_their_zones(layers):
    centres = layers["command_centres"].set_index("code")
    assert centres.loc["CC440604", "name"] == "区社会综合治理指挥中心"
    zones = gpd.GeoDataFrame(pd_concat([layers["district"], layers["town"]]), crs=4326).set_index("code")
    for code, row in centres.iterrows():
        assert zones.loc[row.zone_code].geometry.contains(row.geometry), code
    assert len(centres) == 5


def pd_concat(frames):
    import pandas as pd
    return pd.concat(frames, ignore_index=True)
