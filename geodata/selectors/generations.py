"""Boundary generations: which generation a read serves, and the SQL that says so.

Every read of the spatial core serves the current boundary generation unless given one
(`generation`: a `Generation` or its id). `generation_from_params` turns `?generation=N` /
`?date=YYYY-MM-DD` into one; `generation_where` is the one place raw SQL says which generation
it reads.
"""
from __future__ import annotations

import datetime

from gridops.core.errors import InvalidInput, NotFound

from ..models import Generation, Zone

# Zones of the current generation; of generation %(gen)s. The current form is written out so the
# planner matches locate's partial index of current micro-grids (`zone_current_grid_geom`).
CURRENT_SQL = "{z}.generation_high_id IS NULL"
IN_GENERATION_SQL = "{z}.generation_low_id <= %s AND ({z}.generation_high_id IS NULL OR {z}.generation_high_id >= %s)"

GENERATION_PARAMS = ("generation", "date")


def generation_where(alias: str, generation) -> tuple[str, list]:
    """SQL condition (and its parameters) for `alias`'s zones being valid in `generation` (None:
    current) — the one place raw SQL of the spatial core says which generation it reads."""
    if generation is None:
        return CURRENT_SQL.format(z=alias), []
    gid = int(getattr(generation, "pk", generation))
    return IN_GENERATION_SQL.format(z=alias), [gid, gid]


def generation_from_params(params) -> Generation | None:
    """`?generation=N` or `?date=YYYY-MM-DD` (the generation in force that day) → that generation;
    None when neither is given or the one asked for is the current one (callers then take the
    current generation's fast path). 400 for a malformed value, 404 for an unknown generation."""
    found = generation_asked(params)
    return None if found is None or found.valid_to is None else found


def generation_asked(params) -> Generation | None:
    """The generation `?generation=N` or `?date=YYYY-MM-DD` names (the current one included), or
    None when neither is given."""
    raw_generation, raw_date = params.get("generation") or "", params.get("date") or ""
    if raw_generation and raw_date:
        raise InvalidInput("give generation or date, not both", field="date")
    if raw_generation:
        if not (raw_generation.isascii() and raw_generation.isdigit()):
            raise InvalidInput("generation must be a whole number", field="generation")
        found = Generation.objects.filter(pk=int(raw_generation)).first() if len(raw_generation) < 10 else None
        if found is None:
            raise NotFound(f"no generation {raw_generation}", field="generation")
    elif raw_date:
        try:
            day = datetime.date.fromisoformat(raw_date)
        except ValueError:
            raise InvalidInput("date must be YYYY-MM-DD", field="date") from None
        found = Generation.objects.in_force_on(day)
        if found is None:
            raise NotFound("no boundary generation is loaded", field="date")
    else:
        return None
    return found


def generation_in_force_at(moment: datetime.datetime) -> Generation | None:
    """The generation in force at `moment` (its local day), None when that is the current one."""
    from django.utils import timezone

    day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    found = Generation.objects.in_force_on(day)
    return None if found is None or found.valid_to is None else found


def generations_list() -> list[dict]:
    """Every generation, oldest first, with its validity and zone count (the zones API lists them)."""
    rows = []
    for g in Generation.objects.order_by("id"):
        rows.append({"id": g.pk, "description": g.description, "valid_from": g.valid_from.isoformat(),
                     "valid_to": g.valid_to.isoformat() if g.valid_to else None, "current": g.valid_to is None,
                     "created": g.created.isoformat(), "zones": Zone.objects.in_generation(g).count()})
    return rows
