"""Seats against demand, projection, shared grids and what-ifs, on exact inline numbers."""
import pytest

from gridops.core.errors import InvalidInput, NotFound
from gridops.education import selectors
from gridops.education.models import CatchmentMember
from gridops.education.projection import projection_from
from gridops.education.whatif import build_scenario

pytestmark = pytest.mark.django_db


def by_code(balance):
    return {r["code"]: r for r in balance.schools}


def balance(edu, **params):
    return selectors.plan_balance(edu["plan"], projection_from(params))


def test_base_year_seats_demand_and_gap(edu):
    rows = by_code(balance(edu))
    # P1: village A (2 grids) + half of g3; P2: half of g3 + g4; P3: 4 grids; J1: 8 grids.
    assert rows["P1"]["demand"] == 225 and rows["P1"]["seats"] == 180 and rows["P1"]["gap"] == -45
    assert rows["P2"]["demand"] == 135 and rows["P2"]["gap"] == 105
    assert rows["P3"]["demand"] == 360 and rows["P3"]["gap"] == -60
    assert rows["J1"]["demand"] == 360 and rows["J1"]["seats"] == 300 and rows["J1"]["gap"] == -60
    assert rows["P1"]["entry_demand"] == 37.5 and rows["P1"]["entry_seats"] == 30


def test_schools_add_up_to_the_district(edu):
    result = balance(edu)
    for level, district in result.district.items():
        schools = sum(r["demand"] for r in result.schools if r["level"] == level)
        assert schools + result.unassigned[level]["demand"] == pytest.approx(district["demand"])
    assert result.district["primary"]["demand"] == 720


def test_unassigned_grids_keep_the_total(edu):
    CatchmentMember.objects.filter(plan=edu["plan"], zone=edu["zones"]["g4"]).delete()
    result = balance(edu)
    assert result.unassigned["primary"]["demand"] == 90
    assert sum(r["demand"] for r in result.schools if r["level"] == "primary") == 630


def test_hukou_shares_per_school_and_catchment(edu):
    p1 = by_code(balance(edu))["P1"]
    assert p1["hukou_share"] == pytest.approx(2 / 3, abs=1e-4)       # children in the catchment
    assert p1["demand_hukou"] + p1["demand_non_hukou"] == p1["demand"]
    assert p1["enrolled_hukou_share"] == 0.5                          # pupils in the school


def test_projection_ages_children_and_applies_migration(edu):
    still = by_code(balance(edu, year=2027))
    assert still["P3"]["demand"] == 360  # uniform ages: ageing alone changes nothing
    grown = by_code(balance(edu, year=2027, migration_non_hukou=0.1))
    # non-hukou children (5 per age per grid) grow by 1.1² over two years
    assert grown["P3"]["demand"] == pytest.approx(4 * 6 * (10 + 5 * 1.21), abs=0.01)


def test_town_override_only_touches_that_town(edu):
    rows = by_code(balance(edu, year=2026, towns={"440604101": {"hukou": 0.5, "non_hukou": 0}}))
    assert rows["P3"]["demand"] == pytest.approx(4 * 6 * (15 + 5), abs=0.01)
    assert rows["P1"]["demand"] == 225


def test_births_fill_the_cohorts_born_after_the_base_year(edu):
    rows = by_code(balance(edu, year=2033, birth_rate=12))
    # ages 6 and 7 in 2033 are born in 2027/2026: 1000 residents × 12‰ = 12 a year per grid
    # (split 2/3 hukou as the grid's children are); ages 8-11 come from the base-year counts.
    assert rows["P3"]["demand"] == pytest.approx(4 * (2 * 12 + 4 * 15), abs=0.01)


@pytest.mark.parametrize("params, field", [
    ({"year": "abc"}, "year"), ({"year": 2090}, "year"), ({"birth_rate": -1}, "birth_rate"),
    ({"migration_hukou": 3}, "migration_hukou"), ({"towns": "{bad"}, "towns"),
    ({"towns": {"123": {"hukou": 0}}}, "towns.123"),
])
def test_bad_projection_names_the_field(params, field):
    with pytest.raises(InvalidInput) as err:
        projection_from(params)
    assert err.value.field == field


def test_whatif_moving_grids_changes_exactly_two_schools(edu):
    before = list(CatchmentMember.objects.filter(plan=edu["plan"]).values_list("school_id", "zone_id", "weight"))
    g2 = edu["zones"]["g2"].code
    scenario = build_scenario(edu["plan"], {"moves": [{"grids": [g2], "from": "P1", "to": "P2"}]})
    result = selectors.plan_whatif(edu["plan"], projection_from({}), scenario.sql_params())
    rows = by_code(result)
    assert sorted(rows[c]["code"] for c in rows if rows[c]["id"] in result.changed) == ["P1", "P2"]
    assert rows["P1"]["gap_change"] == 90 and rows["P2"]["gap_change"] == -90
    assert rows["P3"]["gap_change"] == 0 and rows["J1"]["gap_change"] == 0
    assert sum(r["whatif"]["demand"] for r in result.schools if r["level"] == "primary") == 720
    after = list(CatchmentMember.objects.filter(plan=edu["plan"]).values_list("school_id", "zone_id", "weight"))
    assert before == after


def test_whatif_moving_a_shared_grid_keeps_the_split_rule(edu):
    g3 = edu["zones"]["g3"].code
    scenario = build_scenario(edu["plan"], {"moves": [{"grids": [g3], "from": "P1", "to": "P3"}]})
    rows = by_code(selectors.plan_whatif(edu["plan"], projection_from({}), scenario.sql_params()))
    assert rows["P1"]["whatif"]["demand"] == 180
    assert rows["P2"]["whatif"]["demand"] == 135 and rows["P3"]["whatif"]["demand"] == 405


def test_whatif_new_school_takes_a_village(edu):
    data = {"new_schools": [{"key": "N1", "name": "南庄新城小学", "level": "primary", "lon": 113.005, "lat": 23.015,
                             "seats_per_grade": 45, "grids": [edu["zones"]["D"].code]}]}
    scenario = build_scenario(edu["plan"], data)
    result = selectors.plan_whatif(edu["plan"], projection_from({}), scenario.sql_params(), scenario.new_schools)
    rows = by_code(result)
    assert rows["N1"]["whatif"]["demand"] == 180 and rows["N1"]["whatif"]["gap"] == 270 - 180
    assert rows["P3"]["whatif"]["demand"] == 180
    assert sorted(rows[c]["code"] for c in rows if rows[c]["id"] in result.changed) == ["N1", "P3"]


@pytest.mark.parametrize("body, field", [
    ({"moves": [{"grids": ["440604999001001"], "from": "P1", "to": "P2"}]}, "moves[0].grids"),
    ({"moves": [{"grids": [], "from": "P1", "to": "P2"}]}, "moves[0].grids"),
    ({"moves": [{"grids": ["440604"], "from": "P1", "to": "P2"}]}, "moves[0].grids"),
    ({"moves": [{"grids": ["x"], "from": "P1", "to": "NOPE"}]}, "moves[0].to"),
    ({"moves": [{"grids": ["x"], "from": "P1", "to": "J1"}]}, "moves[0].to"),
    ({"moves": "all"}, "moves"),
    ({"new_schools": [{"level": "college"}]}, "new_schools[0].level"),
    ({"new_schools": [{"level": "primary", "lon": 113, "lat": 23, "seats_per_grade": [1, 2]}]}, "new_schools[0].seats_per_grade"),
])
def test_bad_whatif_names_the_field(edu, body, field):
    with pytest.raises(InvalidInput) as err:
        build_scenario(edu["plan"], body)
    assert err.value.field == field


def test_whatif_from_a_school_that_does_not_serve_the_grid(edu):
    with pytest.raises(InvalidInput, match="not in the catchment of P2"):
        build_scenario(edu["plan"], {"moves": [{"grids": [edu["zones"]["g1"].code], "from": "P2", "to": "P1"}]})


def test_serving_schools_for_a_point_in_a_shared_grid(edu):
    result = selectors.serving_schools(edu["plan"], 113.025, 23.015)  # g3
    assert result["grid"]["code"] == edu["zones"]["g3"].code
    schools = {s["code"]: s for s in result["schools"]}
    assert set(schools) == {"P1", "P2", "J1"}
    assert schools["P1"]["share"] == 0.5 and schools["J1"]["share"] == 1
    assert 500 < schools["P2"]["straight_m"] < 1500 and schools["P2"]["road_m"] is None


def test_serving_outside_the_district(edu):
    with pytest.raises(NotFound):
        selectors.serving_schools(edu["plan"], 114.5, 23.5)
