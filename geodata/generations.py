"""Redraws of the grid as new boundary generations (issue 18; MapIt's generations).

`plan_redraw` compares what an import staged with the current zones and says what a new
generation would hold; `generation_commit` writes it in the caller's transaction. The rules:

- a staged zone whose ground (geometry, within 1 cm) and parent are unchanged is **kept**: same
  row, same id, its validity simply runs on (MapIt extends `generation_high`; here NULL means "still
  valid", so nothing is written); name and population are updated in place;
- a staged zone whose ground or parent changed, or whose code is new, gets a **new row**;
- a current zone whose parent gets a new row but which is not in the file is **carried**: a copy
  (same code, ground and figures) under the new parent, so a generation's tree holds only zones of
  that generation;
- a current zone left out of the file is **retired** when the redrawn zones of its level cover its
  ground (the other half of a merge); one they only partly cover is an error (overlapping grids);
- replaced, carried and retired rows are closed (`generation_high` = the old generation) and never
  rewritten, so an incident keeps the chain it was located in.

An import is a redraw when a staged zone of an existing code changed its ground or parent, or a new
code overlaps current zones of its level; otherwise the import edits the current generation in place
(the behaviour before generations: a first load, added zones, renamed zones, new population).
"""
from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

import shapely
from django.apps import apps
from django.db import connection
from django.db.models import ManyToManyField
from django.db.models.signals import m2m_changed

from gridops.core import refcache

from .coords import METRIC_SRID
from .crosswalk import crosswalk
from .models import CommandCentre, Generation, Level, Zone
from .services import ZoneRecord

# Two boundaries closer than this everywhere (degrees, about 1 cm) are the same ground: a file
# re-exported through another format or CRS is not a redraw.
SAME_GROUND_DEGREES = 1e-7
# Share of a left-out zone's area the redrawn zones must cover for it to be retired; above
# OVERLAP_NOISE and below this the file is inconsistent.
RETIRE_COVERED = 0.99
OVERLAP_NOISE = 0.01


@dataclass(frozen=True)
class _Current:
    id: int
    code: str
    level: int
    parent_code: str | None
    geom: shapely.Geometry
    name: str
    residents: int
    households: int


@dataclass
class RedrawPlan:
    """What a new generation would hold, by code (see the module docstring)."""

    kept: list[str] = field(default_factory=list)
    new_rows: dict[str, ZoneRecord] = field(default_factory=dict)  # replaced, added and carried
    carried: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # left out and covered
    errors: list[tuple[str, str]] = field(default_factory=list)  # (code, reason)

    @property
    def closed(self) -> list[str]:
        """Codes whose current row is closed: replaced or carried (a new row follows) and retired."""
        return sorted({*(c for c in self.new_rows if c in self._current_codes), *self.retired})

    _current_codes: frozenset = frozenset()

    def summary(self) -> str:
        replaced = len([c for c in self.new_rows if c in self._current_codes]) - len(self.carried)
        added = len(self.new_rows) - replaced - len(self.carried)
        return (f"new generation: keep {len(self.kept)}, replace {replaced}, add {added}, "
                f"carry {len(self.carried)} under redrawn parents, retire {len(self.retired)}")


def _current_zones() -> dict[str, _Current]:
    rows = Zone.objects.select_related(None).values_list(
        "id", "code", "level", "parent__code", "geom", "name", "residents", "households")
    return {code: _Current(pk, code, level, parent, shapely.from_wkb(bytes(geom.wkb)), name, residents, households)
            for pk, code, level, parent, geom, name, residents, households in rows}


def same_ground(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return shapely.hausdorff_distance(a, b) <= SAME_GROUND_DEGREES


def is_redraw(records: dict[str, ZoneRecord], geoms: dict[str, shapely.Geometry]) -> bool:
    """Whether these staged zones change the current grid's ground or tree (see module docstring)."""
    current = _current_zones()
    by_level: dict[int, list[_Current]] = {}
    for zone in current.values():
        by_level.setdefault(zone.level, []).append(zone)
    for code, record in records.items():
        zone = current.get(code)
        if zone is not None:
            if zone.parent_code != record.parent_code or not same_ground(zone.geom, geoms[code]):
                return True
        elif any(_overlap(other.geom, geoms[code]) > OVERLAP_NOISE for other in by_level.get(record.level, [])):
            return True
    return False


def _overlap(zone: shapely.Geometry, cover: shapely.Geometry) -> float:
    """Share of `zone`'s area inside `cover` (planar degrees: a ratio, not a measure)."""
    area = zone.area
    return shapely.intersection(zone, cover).area / area if area else 0.0


def plan_redraw(records: dict[str, ZoneRecord], geoms: dict[str, shapely.Geometry]) -> RedrawPlan:
    current = _current_zones()
    plan = RedrawPlan(_current_codes=frozenset(current))
    for code, record in records.items():
        zone = current.get(code)
        if zone is None or zone.parent_code != record.parent_code or not same_ground(zone.geom, geoms[code]):
            plan.new_rows[code] = record
    # Left-out zones of the file's levels: retired when the redrawn zones cover them.
    levels = {r.level for r in records.values()}
    for level in sorted(levels):
        redrawn = shapely.union_all([geoms[c] for c, r in plan.new_rows.items() if r.level == level])
        for zone in current.values():
            if zone.level != level or zone.code in records:
                continue
            share = _overlap(zone.geom, redrawn) if not redrawn.is_empty else 0.0
            if share >= RETIRE_COVERED:
                plan.retired.append(zone.code)
            elif share > OVERLAP_NOISE:
                plan.errors.append((zone.code, f"is not in the file and the redrawn zones cover {share:.0%} of it; "
                                               "put it in the file, or redraw its neighbours to cover all of it"))
    # Children follow their parents: a zone under a parent that gets a new row gets one too.
    for level in range(Level.TOWN, Level.GRID + 1):
        for zone in sorted((z for z in current.values() if z.level == level), key=lambda z: z.code):
            if zone.code in plan.new_rows or zone.code in plan.retired:
                continue
            parent = records[zone.code].parent_code if zone.code in records else zone.parent_code
            if parent in plan.retired:
                plan.errors.append((zone.code, f"its parent {parent} is retired by this redraw; put the zone in the "
                                               "file under its new parent (or leave it out where it is covered)"))
            elif parent in plan.new_rows:
                if zone.code in records:
                    plan.new_rows[zone.code] = records[zone.code]
                else:
                    plan.new_rows[zone.code] = ZoneRecord(zone.code, zone.name, zone.level, zone.parent_code,
                                                          shapely.to_wkb(zone.geom), zone.residents, zone.households)
                    plan.carried.append(zone.code)
    plan.kept = sorted(c for c in records if c not in plan.new_rows)
    return plan


@dataclass(frozen=True)
class Assignment:
    """A current fact that points at a zone: `model` ("app.Model"), its zone `field` (a foreign
    key or a many-to-many), and, when the fact is a place, the `point` field that says where."""

    model: str
    field: str
    point: str | None = None


# What moves to the new generation's zones when the grid is redrawn: who works where, what routes
# where, what stands where. Records of what happened (incidents' chains, positions, check-ins,
# warnings, catchment plans) stay on the zones they were made in; they are not listed here.
ASSIGNMENTS = (
    Assignment("accounts.Profile", "zone"),
    Assignment("accounts.Profile", "grids"),
    Assignment("incidents.RoutingRule", "zone"),
    Assignment("approvals.Hall", "zone"),
    Assignment("ledger.SupervisedPerson", "allowed_zones"),
    Assignment("sensors.Device", "grid", point="location"),
    Assignment("ledger.Vendor", "grid", point="stall"),
    Assignment("education.School", "zone", point="location"),
)


def _successors(closed_ids: list[int]) -> tuple[dict[int, int], dict[int, list[int]]]:
    """For closed zone rows: the one current zone that takes each over (same code, else the one
    holding most of its ground) and all current zones that hold part of it (for sets of zones)."""
    codes = dict(Zone.all_generations.filter(pk__in=set(closed_ids)).values_list("pk", "code"))
    links = crosswalk(closed_ids)
    targets = dict(Zone.objects.filter(pk__in={link.target_id for link in links}).values_list("pk", "code"))
    one: dict[int, int] = {}
    many: dict[int, list[int]] = {}
    for source in codes:
        mine = sorted((link for link in links if link.source_id == source),
                      key=lambda link: (targets.get(link.target_id) != codes[source], -link.weight))
        if mine:
            one[source] = mine[0].target_id
            many[source] = sorted(link.target_id for link in mine if link.weight > OVERLAP_NOISE)
    return one, many


def assignments_move(closed_ids: list[int]) -> Counter:
    """Move the `ASSIGNMENTS` that point at `closed_ids` onto current zones; counts per assignment.

    Each move goes through the model (`save`, the related manager's `add`/`remove`), not a bulk
    update: what listens for a change of the fact must hear this one too. A grid worker moved to
    the new grids has its cached token lookup dropped and its sockets closed to reconnect with the
    new audiences (`gridops.realtime.revocation`), a moved routing rule moves the reference
    generation (`core.refcache`), exactly as when an administrator edits them."""
    moved: Counter = Counter()
    if not closed_ids:
        return moved
    one, many = _successors(closed_ids)
    for spec in ASSIGNMENTS:
        try:
            model = apps.get_model(spec.model)
        except LookupError:
            continue
        label = f"{spec.model}.{spec.field}"
        if isinstance(model._meta.get_field(spec.field), ManyToManyField):
            if count := _move_set(model, spec.field, closed_ids, many):
                moved[label] += count
            continue
        for obj in model._default_manager.filter(**{f"{spec.field}_id__in": closed_ids}):
            old_id = getattr(obj, f"{spec.field}_id")
            target = one.get(old_id)
            if spec.point is not None and getattr(obj, spec.point) is not None:  # a place: where it stands
                level = Zone.all_generations.filter(pk=old_id).values_list("level", flat=True).get()
                hit = (Zone.objects.filter(level=level, geom__intersects=getattr(obj, spec.point))
                       .order_by("code").values_list("pk", flat=True).first())
                target = hit or target
            if target is not None:
                setattr(obj, f"{spec.field}_id", target)
                obj.save(update_fields=[spec.field])
                moved[label] += 1
    return moved


def _move_set(model, name: str, closed_ids: list[int], many: dict[int, list[int]]) -> int:
    """Replace each closed zone in `model.<name>` sets with the current zones that hold part of
    it; how many closed memberships were replaced.

    The new zones go in through the related manager (`m2m_changed` add). The closed ones cannot
    go out through it: its `remove` looks the ids up through `Zone.objects`, which holds current
    zones only, so it would delete nothing. Their rows are deleted directly and the same
    `m2m_changed` remove is sent, as the manager would."""
    relation = model._meta.get_field(name)
    through = relation.remote_field.through
    owner_column, zone_column = f"{relation.m2m_field_name()}_id", f"{relation.m2m_reverse_field_name()}_id"
    closed_by_owner: dict[int, list[int]] = {}
    for owner_id, zone_id in through.objects.filter(**{f"{zone_column}__in": closed_ids}).values_list(
            owner_column, zone_column):
        closed_by_owner.setdefault(owner_id, []).append(zone_id)
    for owner in model._default_manager.filter(pk__in=closed_by_owner):
        closed = set(closed_by_owner[owner.pk])
        getattr(owner, name).add(*sorted({target for zone_id in closed for target in many.get(zone_id, [])}))
        signal = {"sender": through, "instance": owner, "reverse": False, "model": relation.related_model,
                  "pk_set": closed, "using": owner._state.db}
        m2m_changed.send(action="pre_remove", **signal)
        through.objects.filter(**{owner_column: owner.pk, f"{zone_column}__in": closed}).delete()
        m2m_changed.send(action="post_remove", **signal)
    return sum(len(closed) for closed in closed_by_owner.values())


def generation_open(*, valid_from: datetime.date | None, description: str) -> tuple[Generation | None, Generation]:
    """Close the current generation and open the next; returns (old, new). Call inside a transaction."""
    old = Generation.objects.select_for_update().filter(valid_to__isnull=True).order_by("-id").first()
    valid_from = valid_from or datetime.date.today()
    if old is not None:
        if valid_from < old.valid_from:
            raise ValueError(f"valid_from {valid_from} is before the current generation's {old.valid_from}")
        old.valid_to = valid_from
        old.save(update_fields=["valid_to"])
    return old, Generation.objects.create(valid_from=valid_from, description=description)


def generation_commit(plan: RedrawPlan, records: dict[str, ZoneRecord], *, valid_from: datetime.date | None,
                      description: str) -> tuple[Generation, Counter]:
    """Write `plan` as a new generation (inside the caller's transaction); returns it and how many
    assignments moved to the new zones (`assignments_move`)."""
    from django.contrib.gis.geos import GEOSGeometry

    old, new = generation_open(valid_from=valid_from, description=description)
    closing = list(Zone.objects.filter(code__in=plan.closed).only("id", "code", "level"))
    # Children first: the database refuses to close a zone while a child stays open.
    for level in sorted({z.level for z in closing}, reverse=True):
        Zone.objects.filter(id__in=[z.id for z in closing if z.level == level]).update(generation_high=old)
    created: list[int] = []
    for record in sorted(plan.new_rows.values(), key=lambda r: (r.level, r.code)):
        parent_id = None
        if record.parent_code:
            parent_id = Zone.objects.filter(code=record.parent_code).values_list("id", flat=True).get()
        zone = Zone.objects.create(code=record.code, name=record.name, level=record.level, parent_id=parent_id,
                                   geom=GEOSGeometry(memoryview(record.wkb), srid=4326), residents=record.residents,
                                   households=record.households, generation_low=new)
        created.append(zone.id)
    for code in plan.kept:
        r = records[code]
        Zone.objects.filter(code=code).update(name=r.name, residents=r.residents, households=r.households)
    # Bulk updates bypass save(): the per-process reference copies (zone names and codes) must
    # still move, as after the catalogue's import.
    refcache.bump()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE geodata_zone SET area_m2 = ST_Area(ST_Transform(geom, {METRIC_SRID})) "
                       "WHERE id = ANY(%s)", [created])
    # Centres are current facts: one whose zone was replaced follows it to the new row.
    for centre in CommandCentre.objects.filter(zone__generation_high__isnull=False).select_related("zone"):
        successor = Zone.objects.filter(code=centre.zone.code).first()
        if successor is not None:
            centre.zone = successor
            centre.save(update_fields=["zone"])
    return new, assignments_move([z.id for z in closing])
