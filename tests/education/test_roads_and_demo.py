"""Road distances (pgRouting, over the geodata road graph), the demo generator and the management commands."""
import pyogrio
import pytest
from shapely.geometry import LineString
from django.core.management import call_command

from gridops.education import selectors
from gridops.education.demo import load_demo_education
from geodata.loaders.roads import roads_from_lines
from gridops.education.models import CatchmentPlan, GridChildren, PlanStatus, School
from gridops.education.projection import default_projection

pytestmark = pytest.mark.django_db


def test_road_distance_is_given_when_roads_are_loaded(edu):
    # A road east from the point to P2 (g4's centre), then south to J1 (g2's centre).
    roads_from_lines([LineString([(113.025, 23.015), (113.035, 23.015)]),
                      LineString([(113.035, 23.015), (113.035, 23.005)])])
    result = selectors.serving_schools(edu["plan"], 113.025, 23.015)
    p2 = next(s for s in result["schools"] if s["code"] == "P2")
    assert p2["road_m"] == pytest.approx(p2["straight_m"], rel=0.01)  # the road runs straight to P2
    j1 = next(s for s in result["schools"] if s["code"] == "J1")
    assert j1["road_m"] > j1["straight_m"]  # J1 is reached round the corner


def test_demo_is_generated_from_zones_and_is_idempotent(db, settings):
    from bench.education import build_lattice_district

    settings.GRIDOPS_EDUCATION_BASE_YEAR = 2025
    build_lattice_district(areas=1, villages=(2, 1), grids=(2, 2))
    messages = []
    load_demo_education(messages.append)
    plan = CatchmentPlan.objects.get(status=PlanStatus.PUBLISHED)
    # 8 grids a town, each town populous enough for one school per grid at both levels
    assert School.objects.filter(level="primary").count() == 32 and School.objects.filter(level="junior").count() == 32
    assert GridChildren.objects.count() == 32 * 15 * 2
    assert all(name.startswith("佛山市禅城区") for name in School.objects.values_list("name", flat=True))
    balance = selectors.plan_balance(plan, default_projection())
    assert balance.unassigned["primary"]["demand"] == 0
    load_demo_education(messages.append)
    assert messages[-1] == "education: already loaded" and School.objects.count() == 64


def test_commands_export_and_import(edu, tmp_path):
    out = tmp_path / "members.gpkg"
    call_command("export_education", "members", str(out), "--year", "2026")
    assert len(pyogrio.read_dataframe(out)) == 10
    call_command("import_catchments", str(out), "--name", "命令行导入", "--commit")
    assert CatchmentPlan.objects.get(name="命令行导入").members.count() == 10
