"""Writes of the education app: catchment plans (drafts, assignments, publishing).

Only drafts change; a published or archived plan is a record of what was in force (409 on edit).
Publishing archives the plan in force in the same transaction, records who and when, and tells
the district's screens after commit.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from gridops.core import authz
from gridops.core.errors import Conflict, InvalidInput
from gridops.core.services import audit_record

from . import rules
from .models import CatchmentMember, CatchmentPlan, PlanStatus, School
from .whatif import build_scenario, grids_of


def _editable(user, plan: CatchmentPlan) -> None:
    """The plan as stored is the user's to act on (`core.authz`), and still a draft."""
    authz.require_may_act(user, plan)
    if plan.status != PlanStatus.DRAFT:
        raise Conflict(f"plan {plan.pk} is {plan.status}; copy it into a draft to change it", field="plan")


def plan_create(*, user, name: str, school_year: int, based_on: CatchmentPlan | None = None, notes: str = "") -> CatchmentPlan:
    """A new draft, optionally a copy of another plan's catchments (how a proposal starts)."""
    rules.require_planner(user)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a plan needs a name", field="name")
    with transaction.atomic():
        plan = CatchmentPlan.objects.create(
            name=name[:128], school_year=school_year, based_on=based_on, notes=notes,
            created_by=user if user and user.is_authenticated else None,
        )
        if based_on is not None:
            CatchmentMember.objects.bulk_create(
                CatchmentMember(plan=plan, school_id=m.school_id, zone_id=m.zone_id, weight=m.weight)
                for m in based_on.members.all()
            )
    return plan


def plan_assign(*, user, plan: CatchmentPlan, school: School, zone_codes: list[str], weight: float = 1.0) -> int:
    """Put micro-grids or villages into a school's catchment (kept beside other schools' claims)."""
    rules.require_planner(user)
    _editable(user, plan)
    if not (isinstance(weight, (int, float)) and 0 < weight <= 100):
        raise InvalidInput("weight must be a number in (0, 100]", field="weight")
    from geodata.models import Zone

    grids_of(zone_codes, "zones")  # validates codes and levels, naming the field
    zones = Zone.objects.filter(code__in=zone_codes).values_list("id", flat=True)
    with transaction.atomic():
        created = CatchmentMember.objects.bulk_create(
            [CatchmentMember(plan=plan, school=school, zone_id=z, weight=weight) for z in zones],
            update_conflicts=True, unique_fields=["plan", "school", "zone"], update_fields=["weight"],
        )
        CatchmentPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    return len(created)


def plan_unassign(*, user, plan: CatchmentPlan, school: School, zone_codes: list[str]) -> int:
    rules.require_planner(user)
    _editable(user, plan)
    if not isinstance(zone_codes, list) or not zone_codes:
        raise InvalidInput("give a non-empty list of zone codes", field="zones")
    deleted, _ = CatchmentMember.objects.filter(plan=plan, school=school, zone__code__in=zone_codes).delete()
    return deleted


def plan_apply_whatif(*, user, plan: CatchmentPlan, data: dict) -> int:
    """Write a what-if's moves into a draft (proposed schools cannot be: they do not exist yet).

    A moved grid that its old school held through a village splits the village into its other
    grids, so no other grid changes hands.
    """
    rules.require_planner(user)
    _editable(user, plan)
    if data.get("new_schools"):
        raise InvalidInput("proposed schools cannot be saved into a plan; add the school first", field="new_schools")
    scenario = build_scenario(plan, data)
    from geodata.models import Zone

    with transaction.atomic():
        for grid_id, source, target in zip(scenario.grids, scenario.froms, scenario.tos):
            if source is not None:
                direct = CatchmentMember.objects.filter(plan=plan, school_id=source, zone_id=grid_id)
                if not direct.delete()[0]:
                    grid = Zone.all_generations.only("parent_id").get(pk=grid_id)
                    via = CatchmentMember.objects.filter(plan=plan, school_id=source, zone_id=grid.parent_id).first()
                    if via is not None:
                        siblings = Zone.objects.filter(parent_id=grid.parent_id).exclude(pk=grid_id)
                        CatchmentMember.objects.bulk_create(
                            [CatchmentMember(plan=plan, school_id=source, zone=z, weight=via.weight) for z in siblings],
                            ignore_conflicts=True,
                        )
                        via.delete()
            CatchmentMember.objects.get_or_create(plan=plan, school_id=target, zone_id=grid_id, defaults={"weight": 1.0})
        CatchmentPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    return len(scenario.grids)


def plan_publish(*, user, plan: CatchmentPlan) -> CatchmentPlan:
    """Put a draft in force: the previous plan is archived; who and when are recorded."""
    rules.require_publisher(user)
    _editable(user, plan)
    if not plan.members.exists():
        raise InvalidInput("an empty plan cannot be published", field="plan")
    try:
        with transaction.atomic():
            CatchmentPlan.objects.select_for_update().filter(status=PlanStatus.PUBLISHED).update(status=PlanStatus.ARCHIVED)
            plan.status = PlanStatus.PUBLISHED
            plan.published_by = user
            plan.published_at = timezone.now()
            plan.save(update_fields=["status", "published_by", "published_at", "updated_at"])
            audit_record(actor=user, action="education.publish", target=plan, detail={"school_year": plan.school_year})
            _announce(plan)
    except IntegrityError:
        raise Conflict("another plan was published at the same moment; try again", field="plan") from None
    return plan


def plan_delete(*, user, plan: CatchmentPlan) -> None:
    rules.require_planner(user)
    _editable(user, plan)
    plan.delete()


def _announce(plan: CatchmentPlan) -> None:
    from gridops.realtime.services import publish_event

    publish_event(
        kind="education.plan_published",
        payload={"plan": plan.pk, "name": plan.name, "school_year": plan.school_year,
                 "published_by": plan.published_by.get_username(), "published_at": plan.published_at.isoformat()},
        audiences=[],
    )
