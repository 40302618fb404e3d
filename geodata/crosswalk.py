"""Crosswalk between boundary generations: figures kept per zone of one generation, re-expressed
on the zones of another, weighted by shared area (issue 18).

A zone row valid in the target generation maps to itself with weight 1 (an unchanged zone is the
same row in both). Any other row is spread over the target zones of its level it overlaps, each
getting `area(source ∩ target) / area(source)`, measured in EPSG:4547 (metres, CGCS2000), the
projection zone areas are stored in. Where both generations tile the same district, a source's
weights sum to 1, so a total is the same on either grid; ground the target does not cover (a
district boundary moved) is reported as `unmapped`, not silently dropped or stretched.

Area weighting assumes what is counted is spread evenly over a zone: good for comparing grids
(a monthly count per grid on this year's grid), not for placing one incident, which has a point
(`geodata.selectors.locate_point(..., generation=g)` answers that exactly).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection

from .coords import METRIC_SRID
from .selectors import generation_where

# Overlaps below this share are slivers of digitising (shared edges drawn twice), not ground.
MIN_WEIGHT = 1e-6


@dataclass(frozen=True)
class Link:
    source_id: int
    target_id: int
    weight: float


def crosswalk(source_ids: Iterable[int], *, generation=None) -> list[Link]:
    """Area weights from each of the zone rows `source_ids` (any generation, any level) to the
    zones of `generation` (None: current) at the same level."""
    ids = sorted({int(i) for i in source_ids if i is not None})
    if not ids:
        return []
    source_valid, source_params = generation_where("s", generation)
    target_valid, target_params = generation_where("t", generation)
    sql = f"""
        WITH s AS (SELECT * FROM geodata_zone WHERE id = ANY(%s))
        SELECT s.id, s.id, 1.0 FROM s WHERE {source_valid}
        UNION ALL
        SELECT s.id, t.id, ST_Area(ST_Transform(ST_Intersection(s.geom, t.geom), {METRIC_SRID}))
                           / NULLIF(ST_Area(ST_Transform(s.geom, {METRIC_SRID})), 0)
        FROM s JOIN geodata_zone t ON t.level = s.level AND {target_valid} AND ST_Intersects(s.geom, t.geom)
        WHERE NOT ({source_valid})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, *source_params, *target_params, *source_params])
        return [Link(s, t, float(w)) for s, t, w in cursor.fetchall() if w is not None and w >= MIN_WEIGHT]


@dataclass
class Crosswalked:
    """Figures per target zone id, and the share of each figure that fell outside the target grid."""

    values: dict[int, dict[str, float]]
    unmapped: dict[str, float]


def crosswalk_values(values: Mapping[int, Mapping[str, float]], *, generation=None) -> Crosswalked:
    """Additive figures per source zone id (counts, sums: never rates or medians) → per zone of
    `generation`. Totals are kept except for `unmapped` ground."""
    links = crosswalk(values.keys(), generation=generation)
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    mapped: dict[int, float] = defaultdict(float)
    for link in links:
        mapped[link.source_id] += link.weight
        for name, value in values[link.source_id].items():
            out[link.target_id][name] += link.weight * value
    unmapped: dict[str, float] = defaultdict(float)
    for source_id, figures in values.items():
        share = max(0.0, 1.0 - mapped.get(source_id, 0.0))
        if share > MIN_WEIGHT:
            for name, value in figures.items():
                unmapped[name] += share * value
    return Crosswalked({k: dict(v) for k, v in out.items()}, dict(unmapped))
