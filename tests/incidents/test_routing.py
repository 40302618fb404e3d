"""route(event_type, grid): rules by zone specificity, command centres, reasons."""
import pytest

from gridops.incidents.models import RoutingRule
from gridops.incidents.assignment import route

from .factories import NANZHUANG, NZ_GRID1, NZ_GRID2

pytestmark = pytest.mark.django_db


def test_default_department_and_town_centre(world):
    decision = route(world["types"]["manhole"], world["zones"][NZ_GRID1])
    assert decision.department.code == "cg" and decision.rule is None
    assert [c.zone.code for c in decision.command_centres] == [NANZHUANG]
    assert decision.unambiguous and "默认" in decision.reason


def test_most_specific_zone_rule_wins(world):
    zones, depts, manhole = world["zones"], world["departments"], world["types"]["manhole"]
    RoutingRule.objects.create(category=manhole.category, zone=zones["440604"], department=depts["yj"])
    town_rule = RoutingRule.objects.create(event_type=manhole, zone=zones[NANZHUANG], department=depts["sw"])
    grid_rule = RoutingRule.objects.create(category=manhole.category, zone=zones[NZ_GRID2], department=depts["cg"])
    in_grid1 = route(manhole, zones[NZ_GRID1])
    assert in_grid1.rule == town_rule and in_grid1.department.code == "sw"
    in_grid2 = route(manhole, zones[NZ_GRID2])
    assert in_grid2.rule == grid_rule and "微网格" in in_grid2.reason
    RoutingRule.objects.filter(pk=grid_rule.pk).update(active=False)
    assert route(manhole, zones[NZ_GRID2]).rule == town_rule


def test_emergency_adds_the_district_centre_and_needs_a_human(world):
    decision = route(world["types"]["fire"], world["zones"][NZ_GRID1])
    assert [c.zone.code for c in decision.command_centres] == [NANZHUANG, "440604"]
    assert not decision.unambiguous and decision.needs_human


def test_rule_needs_exactly_one_subject(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRule.objects.create(zone=world["zones"][NANZHUANG], department=world["departments"]["cg"])
