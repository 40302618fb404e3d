"""import_zones / export_zones: dry runs, repairs, parents, every problem reported, round trips."""
import geopandas as gpd
import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import LineString, Point, Polygon, box

from geodata.loaders import demo, zones
from geodata.models import CommandCentre, Level, Zone

pytestmark = pytest.mark.django_db

DISTRICT = box(113.00, 23.00, 113.02, 23.02)
WEST, EAST = box(113.00, 23.00, 113.01, 23.02), box(113.01, 23.00, 113.02, 23.02)


def frame(rows, crs=4326):
    return gpd.GeoDataFrame([{k: v for k, v in r.items() if k != "geometry"} for r in rows],
                            geometry=[r["geometry"] for r in rows], crs=crs)


def write(tmp_path, name, rows, crs=4326, driver="GeoJSON"):
    path = tmp_path / name
    frame(rows, crs).to_file(path, driver=driver, engine="pyogrio")
    return path


@pytest.fixture
def district_file(tmp_path):
    return write(tmp_path, "district.geojson", [{"code": "440604", "name": "禅城区", "geometry": DISTRICT}])


@pytest.fixture
def district(district_file):
    assert zones.run(district_file, level="district", commit=True).ok
    return Zone.objects.get(code="440604")


def towns(**overrides):
    rows = [
        {"code": "440604001", "name": "西街道", "residents": 10, "households": 4, "geometry": WEST},
        {"code": "440604002", "name": "东街道", "residents": 20, "households": 8, "geometry": EAST},
    ]
    for row in rows:
        row.update(overrides.get(row["code"], {}))
    return rows


def test_dry_run_changes_nothing_and_commit_writes(tmp_path, district):
    path = write(tmp_path, "towns.geojson", towns())
    report = zones.run(path, level="town")
    assert report.ok and (report.created, report.updated, report.committed) == (2, 0, False)
    assert not Zone.objects.filter(level=Level.TOWN).exists()
    report = zones.run(path, level="town", commit=True)
    assert report.committed
    west = Zone.objects.get(code="440604001")
    assert west.parent == district and west.residents == 10
    assert west.area_m2 == pytest.approx(1.0246e3 * 2.2150e3, rel=0.01)  # 0.01° × 0.02° at 23°N, in EPSG:4547
    assert zones.run(path, level="town", commit=True).updated == 2  # upsert by code


def test_import_reprojects_any_crs(tmp_path, district):
    metric = gpd.GeoSeries([WEST, EAST], crs=4326).to_crs(4547)
    rows = [dict(r, geometry=g) for r, g in zip(towns(), metric)]
    assert zones.run(write(tmp_path, "towns.geojson", rows, crs=4547), level="town", commit=True).ok
    stored = shapely.from_wkb(bytes(Zone.objects.get(code="440604001").geom.wkb))
    assert stored.symmetric_difference(WEST).area < 1e-12


def test_file_without_crs_is_a_problem_not_a_guess(tmp_path, district):
    path = tmp_path / "towns.shp"
    frame(towns(), crs=None).to_file(path, engine="pyogrio")
    report = zones.run(path, level="town", commit=True)
    assert not report.ok and "no coordinate reference system" in report.errors[0].reason
    assert not Zone.objects.filter(level=Level.TOWN).exists()


def test_bowtie_is_repaired_and_reported(tmp_path, district):
    bowtie = Polygon([(113.0, 23.0), (113.01, 23.02), (113.01, 23.0), (113.0, 23.02)])
    report = zones.run(write(tmp_path, "t.geojson", towns(**{"440604001": {"geometry": bowtie}})), level="town", commit=True)
    assert report.ok and report.committed
    assert [p.feature for p in report.repaired] == ["town #0 440604001"]
    assert Zone.objects.get(code="440604001").geom.valid


@pytest.mark.parametrize("override,reason,feature", [
    ({"code": "44060400"}, "has 8 digits", "town #0 44060400"),
    ({"code": "450604001"}, "must be digits starting with 440604", "town #0 450604001"),
    ({"code": "440604002"}, "appears twice", "town #1 440604002"),
    ({"name": ""}, "name is empty", "town #0 440604001"),
    ({"residents": -3}, "residents", "town #0 440604001"),
    ({"level": 3}, "does not match the town layer", "town #0 440604001"),
    ({"parent_code": "440604999"}, "disagrees", "town #0 440604001"),
    ({"geometry": box(114.0, 24.0, 114.01, 24.01)}, "no zone one level up contains it", "town #0 440604001"),
])
def test_every_problem_is_reported_with_feature_and_reason(tmp_path, district, override, reason, feature):
    rows = towns(**{"440604001": override})
    if "parent_code" in override:
        rows[1]["parent_code"] = "440604"
    report = zones.run(write(tmp_path, "t.geojson", rows), level="town", commit=True)
    assert not report.committed
    assert any(reason in p.reason and p.feature == feature for p in report.errors), report.lines()
    assert not Zone.objects.filter(level=Level.TOWN).exists()


def test_a_line_cannot_be_a_zone(tmp_path, district):
    rows = [{"code": "440604001", "name": "线", "geometry": LineString([(113.0, 23.0), (113.01, 23.01)])}]
    report = zones.run(write(tmp_path, "t.geojson", rows), level="town")
    assert "has no area" in report.errors[0].reason


def test_command_exits_non_zero_on_errors_and_prints_the_report(tmp_path, district, capsys):
    path = write(tmp_path, "t.geojson", towns(**{"440604001": {"code": "4406041"}}))
    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_zones", str(path), "--level", "town", "--commit")
    assert "town #0 4406041" in capsys.readouterr().out
    assert not Zone.objects.filter(level=Level.TOWN).exists()


def test_missing_file_and_unknown_level_are_reported(tmp_path):
    assert "no such file" in zones.run(tmp_path / "nope.gpkg", level="grid").errors[0].reason
    with pytest.raises(CommandError, match="unknown level"):
        call_command("import_zones", str(tmp_path), "--level", "street")


def _snapshot():
    return {
        z.code: (z.name, z.level, z.parent.code if z.parent else None, z.residents, z.households, shapely.from_wkb(bytes(z.geom.wkb)))
        for z in Zone.objects.select_related("parent")
    }


def _empty_database():
    CommandCentre.objects.all().delete()
    for level in reversed(Level):
        Zone.objects.filter(level=level).delete()


def _assert_same(before, after):
    assert before.keys() == after.keys()
    for code, (*fields, geom) in before.items():
        *fields_after, geom_after = after[code]
        assert fields == fields_after, code
        assert geom.symmetric_difference(geom_after).area < 1e-14, code


@pytest.mark.parametrize("fmt", ["geojson", "shp"])
def test_round_trip_through_geojson_and_shapefile(tmp_path, district, fmt):
    zones.run(write(tmp_path, "t.geojson", towns()), level="town", commit=True)
    CommandCentre.objects.create(code="CC440604", name="中心", zone=district, location="POINT(113.01 23.01)")
    before = _snapshot()
    call_command("export_zones", str(tmp_path / "out"), "--format", fmt)
    _empty_database()
    report = zones.run(tmp_path / "out", level="all", commit=True)
    assert report.ok, report.lines()
    _assert_same(before, _snapshot())
    assert CommandCentre.objects.get().zone.code == district.code


def test_shipped_fixture_loads_and_round_trips_through_geopackage(tmp_path):
    demo.load_demo_zones(lambda msg: None)
    assert Zone.objects.count() == 1077 and CommandCentre.objects.count() == 5
    demo.load_demo_zones(lambda msg: None)  # idempotent: a second run skips
    assert Zone.objects.count() == 1077
    before = _snapshot()
    out = tmp_path / "zones.gpkg"
    call_command("export_zones", str(out))
    _empty_database()
    call_command("import_zones", str(out), "--level", "all", "--commit")
    _assert_same(before, _snapshot())
    seat = Zone.objects.filter(level=Level.TOWN, geom__contains=Point(113.020, 22.985).wkt).get()
    assert seat.name == "南庄镇" and seat.command_centre.name.startswith("南庄")
