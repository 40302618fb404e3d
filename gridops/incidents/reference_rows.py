"""An incident's reference rows (event type, category, department, command centre) from this
process's reference memo instead of joins.

Reading an incident with everything a reply or a push names was one statement joining eight
tables. PostgreSQL searched join orders for it on every call (psycopg2 sends text, so nothing is
reused): 10-30 ms of planning for ~1.5 ms of running, on the list, every photo and every
transition, which made planning most of PostgreSQL's CPU in the load test (issue 13). Those four
tables are reference data that `core.refcache` already keeps per process while the reference
generation stands (any save of them moves it), so the read now joins only the incident's zones
and reporter, and the rest is attached from the memo as the rows are fetched.

A row the memo does not hold yet (created in another process within `refcache.check_seconds()`)
is simply not attached: touching it loads it from the database, as before.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models.query import ModelIterable

from gridops.accounts.models import Department
from gridops.core.refcache import memoised
from geodata.models import CommandCentre

from .models import Category, EventType, Incident


@dataclass(frozen=True)
class ReferenceRows:
    event_types: dict[int, EventType]
    categories: dict[int, Category]
    departments: dict[int, Department]
    centres: dict[int, CommandCentre]


def _load() -> ReferenceRows:
    categories = {c.pk: c for c in Category.objects.all()}
    departments = {d.pk: d for d in Department.objects.all()}
    centres = {c.pk: c for c in CommandCentre.objects.all()}
    event_types = {}
    for et in EventType.objects.all():
        _cache(EventType.category, et, categories.get(et.category_id))
        _cache(EventType.department, et, departments.get(et.department_id))
        event_types[et.pk] = et
    return ReferenceRows(event_types, categories, departments, centres)


def reference_rows(current: int | None = None) -> ReferenceRows:
    """Every event type (active or not), category, department and command centre, by id; shared
    between threads, read only. The one per-process copy of these tables: intake's active types
    and routing's departments are read from it. `current`: the generation, when the caller has
    just read it."""
    return memoised("incident-reference-rows", None, _load, current=current)


def _cache(descriptor, instance, value) -> None:
    """Set a foreign key's cached object (what `select_related` fills) without a query; an id the
    memo lacks stays unset and loads on first touch."""
    if value is not None:
        descriptor.field.set_cached_value(instance, value)


_ATTACHED = ((Incident.event_type, "event_types"), (Incident.category, "categories"),
             (Incident.department, "departments"), (Incident.command_centre, "centres"))


def attach(incident: Incident, rows: ReferenceRows) -> None:
    for descriptor, table in _ATTACHED:
        key = getattr(incident, descriptor.field.attname)
        if key is not None:
            _cache(descriptor, incident, getattr(rows, table).get(key))


class WithReferenceRows(ModelIterable):
    """Model rows as usual, each with its reference rows attached as it is yielded."""

    def __iter__(self):
        rows = reference_rows()
        for incident in super().__iter__():
            attach(incident, rows)
            yield incident
