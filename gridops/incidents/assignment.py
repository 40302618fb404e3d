"""Where an incident goes: the responsible department and the command centre(s).

FixMyStreet's idea: a report is routed by category and area. A type goes to its default
department unless a routing rule for one of the zones holding the point says otherwise; the
most specific zone wins. Every incident goes to its town's command centre; emergencies go to the
district centre at once as well. The decision carries a human-readable reason that is stored.
"""
from __future__ import annotations

from django.db import connection

from geodata.models import CommandCentre, Level, Zone
from gridops.accounts.models import Department
from gridops.core import prepared
from gridops.core.refcache import memoised

from . import conf
from .models import EventType, RoutingRule
from .reference_rows import reference_rows
from .rules import RoutingDecision, RuleCandidate, choose_rule, default_reason, rule_reason

# A zone's ancestors are the prefixes of its code (district 6, town 9, area 11, village 14, grid 17).
_PREFIX_LENGTHS = (6, 9, 11, 14, 17)


def zone_prefixes(code: str) -> list[str]:
    return [code[:n] for n in _PREFIX_LENGTHS if n <= len(code)]


# Read on every report with one prepared statement (`core.prepared`: its plan is kept): rules are switched off with bulk updates
# (`.update(active=False)`) that no cache would hear of, and composing the ORM query (two joins,
# an OR, `__in`) cost more CPU than PostgreSQL spent answering it (issue 13, intake profile).
# Joined zones are matched by code in every boundary generation, as the ORM join did.
_RULES_SQL = """
SELECT r.id, r.event_type_id, r.category_id, r.zone_id, r.department_id, z.level, z.code, z.name
FROM incidents_routingrule r JOIN geodata_zone z ON z.id = r.zone_id
WHERE r.active AND z.code = ANY(%s) AND (r.event_type_id = %s OR r.category_id = %s)
ORDER BY r.id
"""


def _candidates(event_type: EventType, zone_code: str,
                current: int | None = None) -> list[tuple[RuleCandidate, RoutingRule]]:
    with connection.cursor() as cursor:
        prepared.execute(cursor, _RULES_SQL, [zone_prefixes(zone_code), event_type.pk, event_type.category_id])
        rows = cursor.fetchall()
    departments = reference_rows(current).departments if rows else {}
    pairs = []
    for rule_id, event_type_id, category_id, zone_id, department_id, level, code, name in rows:
        department = departments.get(department_id) or Department.objects.get(pk=department_id)
        rule = RoutingRule(pk=rule_id, event_type_id=event_type_id, category_id=category_id, zone_id=zone_id,
                           department=department, active=True)
        pairs.append((RuleCandidate(rule_id=rule_id, zone_level=level, zone_code=code, zone_name=name,
                                    by_event_type=event_type_id is not None, department_id=department_id,
                                    department_name=department.name), rule))
    return pairs


def command_centres_for(town_code: str, *, emergency: bool, current: int | None = None) -> list[CommandCentre]:
    """The town's sub-centre, plus the district centre for emergencies (town first)."""
    codes = [town_code, town_code[:6]] if emergency else [town_code]

    def load():
        centres = {c.zone.code: c for c in CommandCentre.objects.select_related("zone").defer("zone__geom")
                   .filter(zone__code__in=codes)}
        return [centres[code] for code in codes if code in centres]
    return list(memoised("command-centres-for", tuple(codes), load, current=current))


def route(event_type: EventType, grid: Zone, *, accuracy_m: float | None = None,
          town_centre: CommandCentre | None = None, reference_generation: int | None = None) -> RoutingDecision:
    """Decide department and command centres for a report of `event_type` in `grid`.

    `town_centre` is the town's centre when the caller already has it (locate returns it), which
    saves a query on the intake path; emergencies still look up the district centre.
    `reference_generation` is `refcache.generation()` when the caller has just read it.
    """
    pairs = _candidates(event_type, grid.code, reference_generation)
    best = choose_rule([c for c, _ in pairs])
    if best is not None:
        rule = next(r for c, r in pairs if c is best)
        department, reason = rule.department, rule_reason(best, event_type.name)
    else:
        rule, department = None, event_type.department
        reason = default_reason(event_type.name, department.name)
    town_code = grid.code[:9] if grid.level >= Level.TOWN else grid.code
    if town_centre is not None and not event_type.emergency:
        centres = [town_centre]
    else:
        centres = command_centres_for(town_code, emergency=event_type.emergency, current=reference_generation)
    needs_human = ""
    if event_type.emergency:
        needs_human = "紧急事件：区指挥中心同步接报，由值班人员确认派遣"
    elif accuracy_m is not None and accuracy_m > conf.auto_dispatch_max_accuracy_m():
        needs_human = f"定位精度 {accuracy_m:.0f} 米，超过自动派遣上限，需人工核实位置"
    elif not centres:
        needs_human = "所在镇街未配置指挥分中心"
    return RoutingDecision(department=department, command_centres=centres, rule=rule, reason=reason,
                           needs_human=needs_human)
