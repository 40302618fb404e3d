"""Exports reopen with pyogrio with the same features and fields; imports report every problem."""
import io
import json

import geopandas as gpd
import pyogrio
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from shapely.geometry import Point, box

from gridops.education import exports, loaders
from gridops.education.models import CatchmentPlan, School
from gridops.education.projection import projection_from

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("view", list(exports.VIEWS))
@pytest.mark.parametrize("fmt", list(exports.FORMATS))
def test_export_reopens_with_the_same_features_and_fields(planner_client, edu, tmp_path, view, fmt):
    frame = exports.VIEWS[view](edu["plan"], projection_from({}))
    response = planner_client.get(reverse("education-export", kwargs={"view": view, "fmt": fmt}) + "?year=2027")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(response.content)
    # GDAL parses the CSV's WKT column as the geometry; without this option it also keeps the text.
    back = pyogrio.read_dataframe(path, **({"KEEP_GEOM_COLUMNS": "NO"} if fmt == "csv" else {}))
    assert len(back) == len(frame) > 0
    assert [c for c in back.columns if c != "geometry"] == [c for c in frame.columns if c != "geometry"]
    assert back.geometry.notna().all()
    key = "code" if "code" in frame.columns else "school"
    assert sorted(back[key].astype(str)) == sorted(frame[key].astype(str))


def test_unknown_view_or_format_is_400(planner_client, edu):
    assert planner_client.get(reverse("education-export", kwargs={"view": "x", "fmt": "csv"})).json()["error"]["field"] == "view"
    assert planner_client.get(reverse("education-export", kwargs={"view": "schools", "fmt": "shp"})).json()["error"]["field"] == "format"


def _write(frame, tmp_path, name):
    path = tmp_path / name
    frame.to_file(path, driver="GPKG" if name.endswith("gpkg") else "GeoJSON", engine="pyogrio")
    return str(path)


def test_schools_round_trip_through_an_export(edu, tmp_path):
    path = tmp_path / "schools.gpkg"
    path.write_bytes(exports.export_view("schools", "gpkg", edu["plan"], projection_from({}))[0])
    frame = gpd.read_file(path)
    frame.loc[frame.code == "P1", "seats_per_grade"] = "45;45;45;45;45;45"
    frame.loc[frame.code == "P1", "code"] = "P9"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    dry = loaders.import_schools(str(path))
    assert dry.problems == [] and not dry.committed and not School.objects.filter(code="P9").exists()
    report = loaders.import_schools(str(path), commit=True)
    assert report.created == 1 and report.updated == 3
    new = School.objects.get(code="P9")
    assert sum(g.seats for g in new.grades.all()) == 270 and new.zone == edu["zones"]["g1"]


def test_school_import_reports_every_problem(edu, tmp_path):
    frame = gpd.GeoDataFrame({
        "code": ["S1", "S1", "S3", "", "S5"],
        "name": ["甲", "乙", "丙", "丁", "戊"],
        "level": ["primary", "primary", "college", "junior", "junior"],
        "seats_per_grade": ["45;45;45;45;45;45", "1;2", "", "50;50;50", "50;50;50"],
        "enrolled_per_grade": ["", "", "", "", "10;10;10"],
        "hukou_per_grade": ["", "", "", "", "20;0;0"],
    }, geometry=[Point(113.005, 23.005), Point(113.005, 23.005), Point(113.005, 23.005), Point(113.005, 23.005), Point(113.005, 23.005)], crs=4326)
    report = loaders.import_schools(_write(frame, tmp_path, "bad.geojson"), commit=True)
    found = {(p.feature, p.field) for p in report.problems}
    assert {(2, "code"), (2, "seats_per_grade"), (3, "level"), (4, "code"), (5, "hukou_per_grade")} <= found
    assert not report.committed and not School.objects.filter(code="S1").exists()
    outside = gpd.GeoDataFrame({"code": ["S9"], "name": ["外"], "level": ["primary"]}, geometry=[Point(114.5, 23.5)], crs=4326)
    report = loaders.import_schools(_write(outside, tmp_path, "outside.gpkg"))
    assert report.problems[0].reason == "the point is outside the district"


def test_catchment_import_by_code_and_by_polygon(edu, tmp_path):
    z = edu["zones"]
    frame = gpd.GeoDataFrame({"school": ["P1", "P2", "P3"], "zone": [z["A"].code, None, None], "weight": [1, 2, None]},
                             geometry=[None, box(113.02, 23.01, 113.04, 23.02), box(113.0, 23.0, 113.02, 23.02)], crs=4326)
    report = loaders.import_catchments(_write(frame, tmp_path, "c.gpkg"), name="导入草案", commit=True)
    assert report.problems == [] and report.committed
    plan = CatchmentPlan.objects.get(pk=report.plan)
    assert plan.status == "draft"
    assert set(plan.members.filter(school__code="P2").values_list("zone__code", "weight")) == {(z["g3"].code, 2.0), (z["g4"].code, 2.0)}
    assert plan.members.filter(school__code="P3").count() == 4


def test_catchment_import_problems(edu, tmp_path):
    frame = gpd.GeoDataFrame({"school": ["NOPE", "P1", "P1", "P1", "P1"],
                              "zone": ["x", "440604", "440604999001001", None, None], "weight": [1, 1, 1, -3, 1]},
                             geometry=[None, None, None, None, box(120, 30, 120.1, 30.1)], crs=4326)
    report = loaders.import_catchments(_write(frame, tmp_path, "c.gpkg"), commit=True)
    assert [(p.feature, p.field) for p in report.problems] == [
        (1, "school"), (2, "zone"), (3, "zone"), (4, "weight"), (5, "geometry")]
    assert report.plan is None


def test_import_through_the_api(planner_client, edu, tmp_path):
    content, _, _ = exports.export_view("members", "geojson", edu["plan"], projection_from({}))
    upload = SimpleUploadedFile("members.geojson", content)
    response = planner_client.post(reverse("education-import-catchments"), {"file": upload, "commit": "true", "name": "副本"})
    body = response.json()
    assert response.status_code == 200 and body["committed"] and body["created"] == 10
    wrong = planner_client.post(reverse("education-import-schools"), {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "file"
    junk = planner_client.post(reverse("education-import-schools"), {"file": SimpleUploadedFile("x.gpkg", b"not a gpkg")})
    assert junk.status_code == 400 and junk.json()["error"]["field"] == "file"
    bad = io.BytesIO(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "Q"}, "geometry": {"type": "Point", "coordinates": [113.005, 23.005]}}]}).encode())
    failed = planner_client.post(reverse("education-import-schools"), {"file": SimpleUploadedFile("s.geojson", bad.read()), "commit": "1"})
    assert failed.status_code == 400 and failed.json()["problems"][0]["field"] == "name"
