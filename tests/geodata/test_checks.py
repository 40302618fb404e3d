"""Each invariant of check_zones, tripped by a small inline hierarchy, and the shipped fixture passing."""
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command
from django.db import connection

from geodata import checks
from geodata.loaders import demo
from geodata.models import Level, Zone
from geodata.services import zones_measure_area

pytestmark = pytest.mark.django_db

# About 1.02 km × 1.11 km at 23°N; 1e-5° is about 1 m.


def mp(x0, y0, x1, y1):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


@pytest.fixture
def tree():
    """District = one town split into two areas, side by side: every rule holds."""
    district = Zone.objects.create(code="440604", name="区", level=Level.DISTRICT, geom=mp(113.0, 23.0, 113.01, 23.01))
    town = Zone.objects.create(code="440604001", name="镇", level=Level.TOWN, parent=district, geom=mp(113.0, 23.0, 113.01, 23.01))
    west = Zone.objects.create(code="44060400101", name="西", level=Level.AREA, parent=town, geom=mp(113.0, 23.0, 113.005, 23.01))
    east = Zone.objects.create(code="44060400102", name="东", level=Level.AREA, parent=town, geom=mp(113.005, 23.0, 113.01, 23.01))
    zones_measure_area()
    return {"district": district, "town": town, "west": west, "east": east}


def set_geom(zone, geom):
    zone.geom = geom
    zone.save(update_fields=["geom"])


def test_a_consistent_tree_passes_every_geometric_rule(tree):
    assert checks.check_validity() == []
    assert checks.check_containment() == []
    assert checks.check_overlaps() == []
    # The two areas have no children of their own in this small tree; their parents are covered.
    assert {v.codes for v in checks.check_coverage()} == {("44060400101",), ("44060400102",)}


def test_counts_name_the_level():
    Zone.objects.create(code="440604", name="区", level=Level.DISTRICT, geom=mp(113.0, 23.0, 113.01, 23.01))
    violations = checks.check_counts()
    assert {v.codes for v in violations} == {("town",), ("area",), ("village",), ("grid",)}
    assert "0 zones, expected 921" in str(next(v for v in violations if v.codes == ("grid",)))
    assert checks.check_counts({Level.DISTRICT: 1}) == []


def test_invalid_geometry_is_named(tree):
    with connection.cursor() as cur:  # the table refuses invalid rows; lift that inside this test's transaction
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush deferred FK checks so the table can be altered
        cur.execute("ALTER TABLE geodata_zone DROP CONSTRAINT zone_geom_valid")
        cur.execute(
            "UPDATE geodata_zone SET geom = ST_GeomFromText(%s, 4326) WHERE code = '44060400101'",
            ["MULTIPOLYGON(((113 23, 113.005 23.01, 113.005 23, 113 23.01, 113 23)))"],
        )
    [violation] = checks.check_validity()
    assert violation.codes == ("44060400101",) and "Self-intersection" in violation.detail


def test_child_sticking_out_of_its_parent_is_named(tree):
    set_geom(tree["east"], mp(113.005, 23.0, 113.0102, 23.01))  # ~20 m beyond the town's east edge
    [violation] = checks.check_containment()
    assert violation.codes == ("44060400102", "440604001")
    assert violation.rule == "outside parent"


def test_child_within_the_half_metre_tolerance_passes(tree):
    set_geom(tree["east"], mp(113.005, 23.0, 113.010003, 23.01))  # ~0.3 m beyond
    assert checks.check_containment() == []


def test_overlapping_siblings_are_named(tree):
    set_geom(tree["west"], mp(113.0, 23.0, 113.0051, 23.01))  # a 10 m strip over the east area
    [violation] = checks.check_overlaps()
    assert violation.codes == ("440604001", "44060400101", "44060400102")
    assert "m² in total" in violation.detail


def test_a_sliver_of_overlap_under_one_square_metre_passes(tree):
    # West gains a ~0.5 m × 0.55 m notch inside east: about 0.28 m² of overlap.
    notch = Polygon(((113.0, 23.0), (113.005005, 23.0), (113.005005, 23.000005), (113.005, 23.000005),
                     (113.005, 23.01), (113.0, 23.01), (113.0, 23.0)))
    set_geom(tree["west"], MultiPolygon(notch, srid=4326))
    assert checks.check_overlaps() == []
    assert checks.check_overlaps(max_m2=0.1)[0].codes == ("440604001", "44060400101", "44060400102")


def test_uncovered_parent_is_named(tree):
    set_geom(tree["east"], mp(113.005, 23.0, 113.009, 23.01))  # leaves a 100 m strip of the town
    [violation] = [v for v in checks.check_coverage() if v.codes == ("440604001",)]
    assert "uncovered" in violation.detail and "(10.00" in violation.detail  # 10% of the town


def test_parent_with_no_children_is_entirely_uncovered():
    Zone.objects.create(code="440604", name="区", level=Level.DISTRICT, geom=mp(113.0, 23.0, 113.01, 23.01))
    [violation] = checks.check_coverage()
    assert violation.codes == ("440604",) and "100.0000%" in violation.detail


def test_district_area_must_match_the_official_figure(tree):
    [violation] = checks.check_district_area()
    assert violation.codes == ("440604",) and "expected 154.7" in violation.detail
    assert checks.check_district_area(expected_km2=1.14, tolerance=0.05) == []


def test_command_reports_violations_and_exits_non_zero(tree, capsys):
    with pytest.raises(CommandError, match="violations"):
        call_command("check_zones")
    out = capsys.readouterr().out
    assert "count: grid: 0 zones, expected 921" in out and "district area: 440604" in out


def test_shipped_fixture_passes_every_check(capsys):
    demo.load_demo_zones(lambda msg: None)
    assert checks.run_checks() == []
    call_command("check_zones")
    assert "all checks passed" in capsys.readouterr().out
