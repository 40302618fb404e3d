"""May this user act on this object? One answer, asked by every service before it writes.

Two questions, in this order, and both before anything is written:

1. **The object as it is now.** Is the stored row within the user's reach? Each app already says
   who reaches what with one queryset (incidents: `incidents_visible_to`, cases: `cases_visible_to`,
   ...); `SCOPES` maps each model to that queryset, so there is no second copy of the rules. The
   row is looked up in the database, so a caller that changed the object in memory first (the
   bug of issue 11, finding 2: a stall moved, then the *new* point checked) cannot launder it.
2. **The change itself.** Where a write puts an object (a stall moved, a report placed) must lie in
   the user's jurisdiction too (`accounts.selectors.jurisdiction_covers`).

What a role may *do* to an object it reaches (which status moves, which case actions) stays in
each app's rules table; this module answers only "is it theirs to act on". An object out of reach
answers as its app answers a hidden one: 404 where its existence is private (incidents, cases),
403 where it is public anyway (vendors, plans, tickets).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db.models import Model, QuerySet

# Errors are imported when raised: services import this module while the admin is autodiscovered,
# before DRF (which `core.errors` builds on) may be imported.
NOT_FOUND, FORBIDDEN = "not_found", "forbidden"


@dataclass(frozen=True)
class Scope:
    """Where the queryset of objects a user may act on lives, and how an object outside it answers."""

    queryset: str  # dotted path of `f(user) -> QuerySet`
    hidden: str = FORBIDDEN  # NOT_FOUND when even the object's existence is private
    field: str | None = None
    # Optional dotted path of `f(user, ids) -> list`: the same rule answered for a few ids, where
    # the app keeps it compiled (incidents: a photo's check ran the queryset's compile per request).
    by_ids: str | None = None

    def of(self, user, **options) -> QuerySet:
        return _named(self.queryset)(user, **options)

    def ids_of(self, user, ids: list) -> list:
        if self.by_ids:
            return _named(self.by_ids)(user, ids)
        seen = set(self.of(user).filter(pk__in=ids).values_list("pk", flat=True))
        return [pk for pk in ids if pk in seen]


def _named(path: str) -> Callable:
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


# model label → the scope of objects a user may act on (each app's own reach rule).
SCOPES: dict[str, Scope] = {
    "incidents.incident": Scope("gridops.incidents.selectors.incidents_visible_to", NOT_FOUND, "id",
                                by_ids="gridops.incidents.selectors.visible_ids"),
    "approvals.case": Scope("gridops.approvals.selectors.cases_visible_to", NOT_FOUND, "number"),
    "approvals.ticket": Scope("gridops.approvals.selectors.tickets_in_reach_of", FORBIDDEN, "ticket"),
    "approvals.counter": Scope("gridops.approvals.selectors.counters_in_reach_of", FORBIDDEN, "counter"),
    "education.catchmentplan": Scope("gridops.education.selectors.plans_in_reach_of", FORBIDDEN, "plan"),
    "ledger.vendor": Scope("gridops.ledger.selectors.vendors_in_remit_of", FORBIDDEN, "code"),
    "ledger.supervisedperson": Scope("gridops.ledger.selectors.persons_in_reach_of", FORBIDDEN, "case_no"),
    "accounts.profile": Scope("gridops.accounts.selectors.profiles_managed_by", FORBIDDEN, "profile"),
    "foresight.earlywarning": Scope("gridops.foresight.selectors.warnings_visible_to", NOT_FOUND, "warning"),
    "emergency.emergency": Scope("gridops.emergency.selectors.emergencies_visible_to", NOT_FOUND, "emergency"),
    "emergency.task": Scope("gridops.emergency.selectors.tasks_in_reach_of", NOT_FOUND, "task"),
    "emergency.shelter": Scope("gridops.emergency.selectors.shelters_in_reach_of", FORBIDDEN, "code"),
}


def scope_of(model: type[Model] | Model) -> Scope:
    return SCOPES[model._meta.label_lower]


def in_reach(user, model: type[Model], **options) -> QuerySet:
    """The objects of `model` the user may act on (services lock rows through this queryset);
    `options` go to the app's queryset (incidents: `one_row=True` for a lookup by id)."""
    return scope_of(model).of(user, **options)


def reachable_ids(user, model: type[Model], ids: list) -> list:
    """Those of `ids` the user may act on, in the given order: the scope's rule for a lookup by
    id, without reading the rows (a photo needs only its incident's id)."""
    return scope_of(model).ids_of(user, ids)


def require_may_act(user, obj: Model, *, at: Point | None = None, at_field: str = "location") -> None:
    """Raise unless `user` may act on `obj` as it is stored now and, when the change puts it
    somewhere (`at`), there too. Call it before changing anything."""
    from .errors import Forbidden, NotFound

    scope = scope_of(obj)
    if obj.pk is not None and not scope.of(user).filter(pk=obj.pk).exists():
        label = obj._meta.verbose_name
        if scope.hidden == NOT_FOUND:
            raise NotFound(f"{label} not found", field=scope.field)
        raise Forbidden(f"this {label} is outside what you may act on", field=scope.field)
    if at is not None:
        require_in_jurisdiction(user, at, field=at_field)


# Who covers which place is the accounts app's rule; core (the bottom layer) names it by dotted
# path, as SCOPES names each app's queryset, so it imports no app (tests/core/test_layering.py).
JURISDICTION_COVERS = "gridops.accounts.selectors.jurisdiction_covers"


def require_in_jurisdiction(user, point: Point, *, field: str = "location") -> None:
    """Raise unless the point lies in the user's jurisdiction (the change half of the question)."""
    from django.utils.module_loading import import_string

    from .errors import Forbidden

    if not import_string(JURISDICTION_COVERS)(user, point):
        raise Forbidden("that place is outside your jurisdiction", field=field)
