"""Where an incident goes: the responsible department and the command centre(s).

FixMyStreet's idea: a report is routed by category and area. A type goes to its default
department unless a routing rule for one of the zones holding the point says otherwise; the
most specific zone wins. Every incident goes to its town's command centre; emergencies go to the
district centre at once as well. The decision carries a human-readable reason that is stored.
"""
from __future__ import annotations

from django.db.models import Q

from geodata.models import CommandCentre, Level, Zone
from gridops.core.refcache import memoised

from . import conf
from .models import EventType, RoutingRule
from .rules import RoutingDecision, RuleCandidate, choose_rule, default_reason, rule_reason

# A zone's ancestors are the prefixes of its code (district 6, town 9, area 11, village 14, grid 17).
_PREFIX_LENGTHS = (6, 9, 11, 14, 17)


def zone_prefixes(code: str) -> list[str]:
    return [code[:n] for n in _PREFIX_LENGTHS if n <= len(code)]


def _candidates(event_type: EventType, zone_code: str) -> list[tuple[RuleCandidate, RoutingRule]]:
    """Read on every report, not kept in the process: rules are switched off with bulk updates
    (`.update(active=False)`) that no cache would hear of."""
    rules = (
        RoutingRule.objects.filter(active=True, zone__code__in=zone_prefixes(zone_code))
        .filter(Q(event_type_id=event_type.pk) | Q(category_id=event_type.category_id))
        .select_related("zone", "department")
        .defer("zone__geom")
    )
    return [
        (RuleCandidate(
            rule_id=r.pk, zone_level=r.zone.level, zone_code=r.zone.code, zone_name=r.zone.name,
            by_event_type=r.event_type_id is not None, department_id=r.department_id,
            department_name=r.department.name,
        ), r)
        for r in rules
    ]


def command_centres_for(town_code: str, *, emergency: bool) -> list[CommandCentre]:
    """The town's sub-centre, plus the district centre for emergencies (town first)."""
    codes = [town_code, town_code[:6]] if emergency else [town_code]

    def load():
        centres = {c.zone.code: c for c in CommandCentre.objects.select_related("zone").defer("zone__geom")
                   .filter(zone__code__in=codes)}
        return [centres[code] for code in codes if code in centres]
    return list(memoised("command-centres-for", tuple(codes), load))


def route(event_type: EventType, grid: Zone, *, accuracy_m: float | None = None,
          town_centre: CommandCentre | None = None) -> RoutingDecision:
    """Decide department and command centres for a report of `event_type` in `grid`.

    `town_centre` is the town's centre when the caller already has it (locate returns it), which
    saves a query on the intake path; emergencies still look up the district centre.
    """
    pairs = _candidates(event_type, grid.code)
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
        centres = command_centres_for(town_code, emergency=event_type.emergency)
    needs_human = ""
    if event_type.emergency:
        needs_human = "紧急事件：区指挥中心同步接报，由值班人员确认派遣"
    elif accuracy_m is not None and accuracy_m > conf.auto_dispatch_max_accuracy_m():
        needs_human = f"定位精度 {accuracy_m:.0f} 米，超过自动派遣上限，需人工核实位置"
    elif not centres:
        needs_human = "所在镇街未配置指挥分中心"
    return RoutingDecision(department=department, command_centres=centres, rule=rule, reason=reason,
                           needs_human=needs_human)
