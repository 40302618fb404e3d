"""The hierarchy's invariants, checked in PostGIS (one query per rule, fast on ~1,100 zones).

The database already refuses what a single row can break (invalid geometry, code length, parent
level and prefix). These rules need several rows: counts per level, nesting, overlap between
siblings, coverage of the parent and the district's total area. Metric rules work in EPSG:4547.
Each rule is a function returning violations, so tests can trip them one at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from .coords import METRIC_SRID
from .models import Level

EXPECTED_COUNTS = {Level.DISTRICT: 1, Level.TOWN: 4, Level.AREA: 12, Level.VILLAGE: 139, Level.GRID: 921}
CONTAINMENT_TOLERANCE_M = 0.5
SIBLING_OVERLAP_MAX_M2 = 1.0
UNCOVERED_MAX_FRACTION = 0.0001  # 0.01% of the parent's area
DISTRICT_AREA_KM2 = 154.7
DISTRICT_AREA_TOLERANCE = 0.01


@dataclass(frozen=True)
class Violation:
    rule: str
    codes: tuple[str, ...]
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {', '.join(self.codes)}: {self.detail}"


_CURRENT = "current_zone AS (SELECT * FROM geodata_zone WHERE generation_high_id IS NULL)"


def _rows(sql: str, params=()) -> list[tuple]:
    """Run a check over the current boundary generation: `geodata_zone` in the rule's SQL reads
    the current zones only (older generations were checked when they were loaded)."""
    sql = sql.replace("{srid}", str(METRIC_SRID)).replace("geodata_zone", "current_zone").strip()
    sql = f"WITH {_CURRENT}, {sql[len('WITH'):]}" if sql.startswith("WITH") else f"WITH {_CURRENT} {sql}"
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def check_counts(expected: dict[int, int] = EXPECTED_COUNTS) -> list[Violation]:
    found = dict(_rows("SELECT level, count(*) FROM geodata_zone GROUP BY level"))
    return [
        Violation("count", (Level(level).name.lower(),), f"{found.get(level, 0)} zones, expected {want}")
        for level, want in expected.items()
        if found.get(level, 0) != want
    ]


def check_validity() -> list[Violation]:
    rows = _rows(
        "SELECT code, ST_IsValidReason(geom) FROM geodata_zone "
        "WHERE NOT ST_IsValid(geom) OR ST_IsEmpty(geom) ORDER BY code"
    )
    return [Violation("invalid geometry", (code,), reason) for code, reason in rows]


def check_containment(tolerance_m: float = CONTAINMENT_TOLERANCE_M) -> list[Violation]:
    """Every child inside its parent grown by the tolerance (parents buffered once each)."""
    rows = _rows(
        """
        WITH p AS (
            SELECT id, code, ST_Buffer(ST_Transform(geom, {srid}), %s) AS g
            FROM geodata_zone WHERE id IN (SELECT DISTINCT parent_id FROM geodata_zone)
        )
        SELECT c.code, p.code, ST_Area(ST_Difference(ST_Transform(c.geom, {srid}), p.g))
        FROM geodata_zone c JOIN p ON p.id = c.parent_id
        WHERE NOT ST_CoveredBy(ST_Transform(c.geom, {srid}), p.g)
        ORDER BY c.code
        """,
        [tolerance_m],
    )
    return [
        Violation("outside parent", (child, parent), f"{outside:.2f} m² lies more than {tolerance_m} m outside the parent")
        for child, parent, outside in rows
    ]


def check_overlaps(max_m2: float = SIBLING_OVERLAP_MAX_M2) -> list[Violation]:
    """Sum of pairwise sibling overlaps per parent; the worst pairs are named."""
    rows = _rows(
        """
        WITH pairs AS (
            SELECT a.parent_id, a.code AS a_code, b.code AS b_code,
                   ST_Area(ST_Intersection(ST_Transform(a.geom, {srid}), ST_Transform(b.geom, {srid}))) AS overlap
            FROM geodata_zone a JOIN geodata_zone b
              ON a.parent_id = b.parent_id AND a.id < b.id AND a.geom && b.geom
            WHERE ST_Intersects(a.geom, b.geom)
        )
        SELECT p.code, SUM(overlap),
               (array_agg(a_code || '/' || b_code || ' ' || round(overlap::numeric, 2) || ' m²' ORDER BY overlap DESC))[1:5]
        FROM pairs JOIN geodata_zone p ON p.id = pairs.parent_id
        WHERE overlap > 0
        GROUP BY p.code HAVING SUM(overlap) >= %s ORDER BY p.code
        """,
        [max_m2],
    )
    violations = []
    for parent, total, worst in rows:
        pair_codes = tuple(sorted({c for pair in worst for c in pair.split(" ")[0].split("/")}))
        violations.append(Violation("siblings overlap", (parent, *pair_codes), f"{total:.2f} m² in total ({'; '.join(worst)})"))
    return violations


def check_coverage(max_fraction: float = UNCOVERED_MAX_FRACTION) -> list[Violation]:
    """Each zone above the grid level is covered by its children (one with none is 100% uncovered)."""
    rows = _rows(
        """
        WITH p AS (SELECT id, code, ST_Transform(geom, {srid}) AS g FROM geodata_zone WHERE level < %s),
        u AS (
            SELECT parent_id, ST_Union(ST_Transform(geom, {srid})) AS g
            FROM geodata_zone WHERE parent_id IS NOT NULL GROUP BY parent_id
        )
        SELECT code, uncovered, total FROM (
            SELECT p.code, ST_Area(p.g) AS total,
                   CASE WHEN u.g IS NULL THEN ST_Area(p.g) ELSE ST_Area(ST_Difference(p.g, u.g)) END AS uncovered
            FROM p LEFT JOIN u ON u.parent_id = p.id
        ) s
        WHERE uncovered > %s * total ORDER BY code
        """,
        [int(Level.GRID), max_fraction],
    )
    return [
        Violation("children do not cover parent", (code,), f"{uncovered:.1f} m² uncovered ({uncovered / total:.4%} of {total:.0f} m²)")
        for code, uncovered, total in rows
    ]


def check_district_area(expected_km2: float = DISTRICT_AREA_KM2, tolerance: float = DISTRICT_AREA_TOLERANCE) -> list[Violation]:
    rows = _rows("SELECT code, ST_Area(ST_Transform(geom, {srid})) / 1e6 FROM geodata_zone WHERE level = %s", [int(Level.DISTRICT)])
    return [
        Violation("district area", (code,), f"{km2:.2f} km², expected {expected_km2} km² ± {tolerance:.0%}")
        for code, km2 in rows
        if abs(km2 - expected_km2) > tolerance * expected_km2
    ]


RULES = [check_counts, check_validity, check_containment, check_overlaps, check_coverage, check_district_area]


def run_checks() -> list[Violation]:
    """Every rule with the shipped thresholds, in a stable order."""
    return [v for rule in RULES for v in rule()]
