"""Property-based: whatever zone file arrives, the importer answers with a report, never a crash.

Every generated file has at least one defect (unreadable bytes, a bow-tie, coordinates in the wrong
CRS, an empty geometry, a point where a polygon belongs, a missing code or name, a GeoPackage layer
of the wrong type, a truncated GeoPackage...). `geodata.loaders.zones.run` must list the problems
(feature + reason) and write nothing, dry run or not. The same files through the education
import endpoint give a report (dry run) or a 400 naming `file` (commit), never a 500.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from geodata.loaders.zones import ImportReport, run
from geodata.models import CommandCentre, Zone
from tests.fuzzing import examples
from tests.security.world import token_for

pytestmark = pytest.mark.django_db
SETTINGS = settings(max_examples=examples(40), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# A square inside 南庄镇 of the tiny district (113.00-113.04 x 23.00-23.02) in three CRSs.
GOOD_4326 = [[113.005, 23.002], [113.008, 23.002], [113.008, 23.005], [113.005, 23.005], [113.005, 23.002]]


def _project(ring, epsg):
    frame = gpd.GeoSeries([shapely.Polygon(ring)], crs=4326).to_crs(epsg)
    return [list(c) for c in frame.iloc[0].exterior.coords]


RING_3857, RING_4547 = _project(GOOD_4326, 3857), _project(GOOD_4326, 4547)
BOWTIE = [[113.005, 23.002], [113.008, 23.005], [113.008, 23.002], [113.005, 23.005], [113.005, 23.002]]

# (geometry, is it a defect on its own?)
bad_geometries = st.sampled_from([
    {"type": "Polygon", "coordinates": [BOWTIE]},                          # self-intersecting (repaired note only)
    {"type": "Polygon", "coordinates": [RING_3857]},                        # EPSG:3857 declared as 4326
    {"type": "Polygon", "coordinates": [RING_4547]},                        # EPSG:4547 declared as 4326
    {"type": "Polygon", "coordinates": []},                                 # empty
    {"type": "MultiPolygon", "coordinates": []},
    None,                                                                   # no geometry
    {"type": "Point", "coordinates": [113.006, 23.003]},                    # not a polygon
    {"type": "LineString", "coordinates": GOOD_4326[:3]},
    {"type": "Polygon", "coordinates": [[[1e300, 1e300], [-1e300, 1e300], [0, -1e300], [1e300, 1e300]]]},
    {"type": "Polygon", "coordinates": [[[x * 1e9, y * 1e9] for x, y in GOOD_4326]]},
    {"type": "Polygon", "coordinates": [[[113.0, 23.0], [113.0, 23.0], [113.0, 23.0], [113.0, 23.0]]]},  # no area
])
LEVEL_CODES = {"district": "440604", "town": "440604101", "grid": "44060410101001009"}
levels = st.sampled_from(sorted(LEVEL_CODES))
crs_members = st.sampled_from([
    None,
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},  # 4326 coordinates declared 3857
    {"type": "name", "properties": {"name": "EPSG:4547"}},
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}},
    {"type": "name", "properties": {"name": "not a crs at all"}},
    {"type": "link", "properties": {"href": "http://example.invalid/crs", "type": "proj4"}},
    "nonsense",
])
texts = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**20, 10**20), st.sampled_from(["", "禅城区", "x" * 200]))


@st.composite
def properties(draw, level):
    props = {}
    if draw(st.booleans()):
        props["code"] = draw(st.one_of(st.just(LEVEL_CODES[level]), texts))
    if draw(st.booleans()):
        props["name"] = draw(st.one_of(st.just("某地"), texts))
    props.update(draw(st.dictionaries(st.sampled_from(["level", "parent_code", "residents", "households"]), texts, max_size=2)))
    return props


@st.composite
def feature_collections(draw, level):
    """A FeatureCollection with at least one defective feature (and perhaps good ones beside it)."""
    good = {"type": "Feature", "properties": {"code": LEVEL_CODES[level], "name": "某地"},
            "geometry": {"type": "Polygon", "coordinates": [GOOD_4326]}}
    bad = st.one_of(
        st.builds(lambda g, p: {"type": "Feature", "properties": p, "geometry": g}, bad_geometries, properties(level)),
        # a good shape whose code or name is missing
        st.sampled_from(["code", "name"]).map(lambda k: {**good, "properties": {x: v for x, v in good["properties"].items() if x != k}}),
    )
    features = draw(st.lists(bad, min_size=1, max_size=4)) + ([good] if draw(st.booleans()) else [])
    body = {"type": "FeatureCollection", "features": draw(st.permutations(features))}
    crs = draw(crs_members)
    if crs is not None:
        body["crs"] = crs
    return json.dumps(body).encode()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.integers(), st.text(max_size=10)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["type", "features", "geometry", "coordinates", "properties", "crs"]) | st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


def _gpkg_bytes(frame: gpd.GeoDataFrame, layer: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.gpkg")
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return Path(path).read_bytes()


def _wrong_type_gpkg(level: str, kind: str) -> bytes:
    geom = shapely.Point(113.006, 23.003) if kind == "point" else shapely.LineString(GOOD_4326[:3])
    return _gpkg_bytes(gpd.GeoDataFrame({"code": [LEVEL_CODES[level]], "name": ["某地"]}, geometry=[geom], crs=4326), level)


GPKG_SAMPLE = None


def _valid_gpkg() -> bytes:
    global GPKG_SAMPLE
    if GPKG_SAMPLE is None:
        GPKG_SAMPLE = _gpkg_bytes(gpd.GeoDataFrame({"code": ["440604101"], "name": ["某地"]},
                                                   geometry=[shapely.Polygon(GOOD_4326)], crs=4326), "town")
    return GPKG_SAMPLE


@st.composite
def zone_files(draw):
    """(suffix, bytes, level) of a defective zone file."""
    level = draw(levels)
    kind = draw(st.sampled_from(["geojson", "geojson", "geojson", "json-junk", "bytes", "gpkg-type", "gpkg-cut", "gpkg-junk"]))
    if kind == "geojson":
        return ".geojson", draw(feature_collections(level)), level
    if kind == "json-junk":
        return draw(st.sampled_from([".geojson", ".json"])), json.dumps(draw(json_values)).encode(), level
    if kind == "bytes":
        return ".geojson", draw(st.binary(max_size=200)), level
    if kind == "gpkg-type":
        return ".gpkg", _wrong_type_gpkg(level, draw(st.sampled_from(["point", "line"]))), level
    whole = _valid_gpkg()
    if kind == "gpkg-cut":
        return ".gpkg", whole[:draw(st.integers(0, len(whole) - 1))], level
    return ".gpkg", b"SQLite format 3\x00" + draw(st.binary(max_size=300)), level


def _counts():
    return Zone.objects.count(), CommandCentre.objects.count()


@SETTINGS
@given(file=zone_files(), commit=st.booleans())
def test_zone_import_reports_every_defect_and_writes_nothing(tiny_district, file, commit):
    suffix, data, level = file
    before = _counts()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"zones{suffix}"
        path.write_bytes(data)
        report = run(path, level=level, commit=commit)
    assert isinstance(report, ImportReport)
    assert report.errors, (level, data[:300], report.lines())
    assert all(p.feature and p.reason for p in report.problems)
    assert not report.committed
    assert _counts() == before


WRONG_CRS = {
    "4326 read as 3857": ({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}, GOOD_4326),
    "3857 read as 4326": (None, RING_3857),
    "4547 read as 4326": ({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, RING_4547),
}


@pytest.mark.parametrize("level", ["district", "town"])
@pytest.mark.parametrize("case", sorted(WRONG_CRS))
def test_wrong_crs_is_refused_even_for_the_district(tiny_district, tmp_path, level, case):
    """The district has no parent to catch it: before the extent check a district file in the wrong
    CRS was committed and moved 禅城区 to the Gulf of Guinea."""
    crs, ring = WRONG_CRS[case]
    body = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": LEVEL_CODES[level], "name": "某地"},
                                                       "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    if crs:
        body["crs"] = crs
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(body))
    report = run(path, level=level, commit=True)
    assert not report.committed
    assert any("CRS" in p.reason for p in report.errors), report.lines()
    assert Zone.objects.get(code="440604").geom.extent[0] == pytest.approx(113.0)


# ------------------------------------------------------------------------------ education uploads

@pytest.fixture
def planner(tiny_district):
    from gridops.accounts.models import Profile, Role
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="planner-fuzz")
    Profile.objects.create(user=user, role=Role.PLANNER, zone=tiny_district["440604"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@SETTINGS
@given(file=zone_files(), kind=st.sampled_from(["schools", "catchments"]), commit=st.booleans())
def test_education_import_never_500(planner, file, kind, commit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridops.education.models import CatchmentPlan, School

    suffix, data, _ = file
    before = (School.objects.count(), CatchmentPlan.objects.count())
    upload = SimpleUploadedFile(f"upload{suffix}", data, content_type="application/octet-stream")
    response = planner.post(reverse(f"education-import-{kind}"), {"file": upload, "commit": commit, "name": "fuzz"},
                            format="multipart")
    assert response.status_code in (200, 400, 413, 415), (response.status_code, response.content[:300])
    body = response.json()
    if response.status_code >= 400:
        assert body["error"]["field"] == "file", body
    else:
        assert not commit or body.get("committed") is not True or not body.get("problems")
        assert body.get("problems"), body  # every generated file has a defect: a dry run lists it
    assert (School.objects.count(), CatchmentPlan.objects.count()) == before
