"""Planner questions, each one set-based SQL statement over grids (never a Python loop over them).

The building blocks are common table expressions:

* ``grid_demand``: projected school-age children per micro-grid, age (6-14) and hukou status
  (the model is described in `projection.py`);
* ``grid_members``: a plan's catchments expanded to micro-grids (a village stands for its grids);
* ``shares``: each (grid, school) pair's share of the grid's children of the school's level,
  ``weight / sum(weights of that grid's schools of that level)``, so a shared grid (多校划片)
  is split and every child is counted exactly once.

A what-if applies moves to ``grid_members`` inside the statement, so the stored plan is never
touched, and computes the base and the what-if figures side by side in the same pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.gis.db.models import Union
from django.db import connection

from gridops.core.errors import NotFound
from geodata.geojson import as_geojson_sql

from .models import CatchmentPlan, PlanStatus, School
from .projection import Projection

GRID = 4
VILLAGE = 3

_DEMAND_CTES = """
mig AS (
    SELECT * FROM unnest(%(town_codes)s::text[], %(town_hukou)s::float8[], %(town_non_hukou)s::float8[])
        AS m(town, hukou, non_hukou)
),
grid_share AS (
    SELECT zone_id, SUM(count) FILTER (WHERE hukou)::float8 / NULLIF(SUM(count), 0) AS hukou_share
    FROM education_gridchildren WHERE base_year = %(base_year)s GROUP BY zone_id
),
grids AS (
    SELECT z.id, z.residents, COALESCE(gs.hukou_share, 0.6) AS hukou_share,
           COALESCE(m.hukou, %(mig_hukou)s) AS mh, COALESCE(m.non_hukou, %(mig_non_hukou)s) AS mn
    FROM geodata_zone z
    LEFT JOIN grid_share gs ON gs.zone_id = z.id
    LEFT JOIN mig m ON m.town = left(z.code, 9)
    WHERE z.level = 4 AND z.generation_high_id IS NULL
),
grid_demand AS (
    SELECT g.id AS zone_id, a.age, h.hukou,
           CASE WHEN a.age <= 11 THEN 'primary' ELSE 'junior' END AS level,
           (CASE WHEN a.age >= %(t)s THEN COALESCE(c.count, 0)::float8
                 ELSE g.residents * %(birth_rate)s / 1000.0
                      * CASE WHEN h.hukou THEN g.hukou_share ELSE 1 - g.hukou_share END
            END)
           * power(1 + CASE WHEN h.hukou THEN g.mh ELSE g.mn END, LEAST(%(t)s, a.age)) AS children
    FROM grids g
    CROSS JOIN generate_series(6, 14) AS a(age)
    CROSS JOIN (VALUES (true), (false)) AS h(hukou)
    LEFT JOIN education_gridchildren c
        ON c.zone_id = g.id AND c.base_year = %(base_year)s AND c.age = a.age - %(t)s AND c.hukou = h.hukou
),
grid_level AS (
    -- one row per grid and level: what the catchment joins need (ten times fewer rows)
    SELECT zone_id, level, SUM(children) AS children, SUM(children) FILTER (WHERE hukou) AS hukou,
           SUM(children) FILTER (WHERE age IN (6, 12)) AS entry
    FROM grid_demand GROUP BY zone_id, level
)"""

_GRID_MEMBERS_CTE = """
grid_members AS (
    SELECT m.school_id, g.id AS grid_id, MAX(m.weight) AS weight
    FROM education_catchmentmember m
    JOIN geodata_zone mz ON mz.id = m.zone_id
    JOIN geodata_zone g ON g.level = 4
     AND (g.id = mz.id OR (mz.level = 3 AND g.parent_id = mz.id AND g.generation_high_id IS NULL))
    WHERE m.plan_id = %(plan_id)s
    GROUP BY m.school_id, g.id
)"""

# Every school's seats and pupils (the proposed schools of a what-if are appended to it).
_SCHOOL_FIG_CTE = """
school_fig AS (
    SELECT s.id, s.level, COALESCE(SUM(sg.seats), 0)::float8 AS seats,
           COALESCE(SUM(sg.seats) FILTER (WHERE sg.grade IN (1, 7)), 0)::float8 AS entry_seats,
           COALESCE(SUM(sg.classes), 0) AS classes,
           COALESCE(SUM(sg.enrolled), 0) AS enrolled, COALESCE(SUM(sg.enrolled_hukou), 0) AS enrolled_hukou
    FROM education_school s LEFT JOIN education_schoolgrade sg ON sg.school_id = s.id
    GROUP BY s.id
    UNION ALL
    SELECT n.id, n.level, n.seats, n.entry_seats, 0, 0, 0
    FROM unnest(%(new_ids)s::bigint[], %(new_levels)s::text[], %(new_seats)s::float8[], %(new_entry)s::float8[])
        AS n(id, level, seats, entry_seats)
)"""

_MOVES_CTES = """
moves AS (
    SELECT * FROM unnest(%(mv_grid)s::bigint[], %(mv_from)s::bigint[], %(mv_to)s::bigint[]) AS mv(grid_id, from_id, to_id)
),
members AS (
    SELECT 'base' AS scenario, school_id, grid_id, weight FROM grid_members
    UNION ALL
    SELECT 'whatif', gm.school_id, gm.grid_id, gm.weight FROM grid_members gm
    WHERE NOT EXISTS (SELECT 1 FROM moves mv WHERE mv.grid_id = gm.grid_id AND mv.from_id = gm.school_id)
    UNION ALL
    SELECT DISTINCT 'whatif', mv.to_id, mv.grid_id, 1.0::float8 FROM moves mv
    WHERE NOT EXISTS (SELECT 1 FROM grid_members gm WHERE gm.grid_id = mv.grid_id AND gm.school_id = mv.to_id)
)"""

_SHARES_CTES = """
shares AS (
    SELECT m.scenario, m.school_id, m.grid_id, f.level,
           m.weight / SUM(m.weight) OVER (PARTITION BY m.scenario, m.grid_id, f.level) AS share
    FROM members m JOIN school_fig f ON f.id = m.school_id
),
school_demand AS (
    SELECT sh.scenario, sh.school_id,
           SUM(d.children * sh.share) AS demand,
           SUM(d.hukou * sh.share) AS demand_hukou,
           SUM(d.entry * sh.share) AS entry_demand,
           COUNT(*) AS grids
    FROM shares sh JOIN grid_level d ON d.zone_id = sh.grid_id AND d.level = sh.level
    GROUP BY sh.scenario, sh.school_id
),
unassigned AS (
    SELECT sc.scenario, d.level, SUM(d.children) AS children
    FROM grid_level d CROSS JOIN (VALUES ('base'), ('whatif')) AS sc(scenario)
    WHERE NOT EXISTS (
        SELECT 1 FROM shares sh WHERE sh.scenario = sc.scenario AND sh.grid_id = d.zone_id AND sh.level = d.level
    )
    GROUP BY sc.scenario, d.level
)"""

BALANCE_SQL = f"""
WITH {_DEMAND_CTES}, {_GRID_MEMBERS_CTE}, {_SCHOOL_FIG_CTE}, {_MOVES_CTES}, {_SHARES_CTES}
SELECT 'school' AS kind, f.id, f.level, f.seats, f.entry_seats, f.classes, f.enrolled, f.enrolled_hukou,
       COALESCE(b.demand, 0), COALESCE(b.demand_hukou, 0), COALESCE(b.entry_demand, 0), COALESCE(b.grids, 0),
       COALESCE(w.demand, 0), COALESCE(w.demand_hukou, 0), COALESCE(w.entry_demand, 0), COALESCE(w.grids, 0)
FROM school_fig f
LEFT JOIN school_demand b ON b.school_id = f.id AND b.scenario = 'base'
LEFT JOIN school_demand w ON w.school_id = f.id AND w.scenario = 'whatif'
WHERE f.id < 0 OR b.school_id IS NOT NULL OR w.school_id IS NOT NULL
   OR f.id IN (SELECT id FROM education_school WHERE NOT planned)
UNION ALL
SELECT 'unassigned', NULL, u.level, 0, 0, 0, 0, 0, COALESCE(ub.children, 0), 0, 0, 0, COALESCE(uw.children, 0), 0, 0, 0
FROM (VALUES ('primary'), ('junior')) AS u(level)
LEFT JOIN unassigned ub ON ub.level = u.level AND ub.scenario = 'base'
LEFT JOIN unassigned uw ON uw.level = u.level AND uw.scenario = 'whatif'
UNION ALL
SELECT 'district', NULL, d.level, 0, 0, 0, 0, 0, SUM(d.children), SUM(d.hukou), SUM(d.entry), 0, 0, 0, 0, 0
FROM grid_level d GROUP BY d.level
"""

INVALID_MOVES_SQL = f"""
WITH {_GRID_MEMBERS_CTE}
SELECT mv.grid_id, mv.from_id
FROM unnest(%(mv_grid)s::bigint[], %(mv_from)s::bigint[]) AS mv(grid_id, from_id)
WHERE mv.from_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM grid_members gm WHERE gm.grid_id = mv.grid_id AND gm.school_id = mv.from_id)
LIMIT 10
"""


def _empty_scenario() -> dict:
    return {"mv_grid": [], "mv_from": [], "mv_to": [], "new_ids": [], "new_levels": [], "new_seats": [], "new_entry": []}


@dataclass
class Balance:
    """Seats against demand per school, the unassigned children and the district totals."""

    projection: Projection
    schools: list[dict]
    unassigned: dict[str, dict]
    district: dict[str, dict]
    changed: list[int] = field(default_factory=list)


def _figures(seats, entry_seats, demand, demand_hukou, entry_demand, grids) -> dict:
    return {
        "seats": int(seats), "entry_seats": int(entry_seats),
        "demand": round(demand, 2), "demand_hukou": round(demand_hukou, 2),
        "demand_non_hukou": round(demand - demand_hukou, 2),
        "hukou_share": round(demand_hukou / demand, 4) if demand else None,
        "entry_demand": round(entry_demand, 2),
        "gap": round(seats - demand, 2), "entry_gap": round(entry_seats - entry_demand, 2),
        "grids": int(grids),
    }


def _run_balance(plan: CatchmentPlan, projection: Projection, scenario: dict) -> Balance:
    params = {**projection.sql_params(), **scenario, "plan_id": plan.pk}
    with connection.cursor() as cursor:
        cursor.execute(BALANCE_SQL, params)
        rows = cursor.fetchall()
    schools, unassigned, district, changed = [], {}, {}, []
    for kind, sid, level, seats, entry_seats, classes, enrolled, enrolled_hukou, *rest in rows:
        base = rest[:4]
        whatif = rest[4:]
        if kind == "district":
            district[level] = {"demand": round(base[0], 2), "demand_hukou": round(base[1] or 0, 2), "entry_demand": round(base[2] or 0, 2)}
        elif kind == "unassigned":
            unassigned[level] = {"demand": round(base[0], 2), "whatif_demand": round(whatif[0], 2)}
        else:
            row = {
                "id": sid, "level": level, "classes": int(classes), "enrolled": int(enrolled),
                "enrolled_hukou": int(enrolled_hukou),
                "enrolled_hukou_share": round(enrolled_hukou / enrolled, 4) if enrolled else None,
                **_figures(seats, entry_seats, *base),
            }
            if scenario["mv_grid"] or scenario["new_ids"]:
                row["whatif"] = _figures(seats, entry_seats, *whatif)
                row["gap_change"] = round(row["whatif"]["gap"] - row["gap"], 2)
                if abs(whatif[0] - base[0]) > 1e-6 or sid < 0:
                    changed.append(sid)
            schools.append(row)
    return Balance(projection=projection, schools=schools, unassigned=unassigned, district=district, changed=changed)


def _attach_school_names(balance: Balance, extra: dict[int, dict] | None = None) -> Balance:
    ids = [row["id"] for row in balance.schools if row["id"] > 0]
    names = {s.pk: s for s in School.objects.filter(pk__in=ids).select_related("zone")}
    for row in balance.schools:
        school = names.get(row["id"])
        if school is not None:
            row.update(code=school.code, name=school.name, ownership=school.ownership,
                       lon=school.location.x, lat=school.location.y,
                       town=school.zone.code[:9] if school.zone_id else None)
        elif extra and row["id"] in extra:
            row.update(extra[row["id"]])
    balance.schools.sort(key=lambda r: (r["level"], r.get("code", "")))
    return balance


def plan_balance(plan: CatchmentPlan, projection: Projection) -> Balance:
    """Seats vs demand for every school of the plan in the projection's year."""
    return _attach_school_names(_run_balance(plan, projection, _empty_scenario()))


def seat_gap_by_town(balance: Balance) -> list[dict]:
    """Seats, demand and gap per town and school level (the command centre's screen, the balance API).

    Sums of the balance's school rows (a school counts in the town it stands in), so a town's
    figure is exactly what the planners' balance shows for its schools.
    """
    towns: dict[tuple[str, str], dict] = {}
    for row in balance.schools:
        if not row.get("town"):
            continue
        entry = towns.setdefault((row["town"], row["level"]), {"town": row["town"], "level": row["level"],
                                                               "schools": 0, "seats": 0, "demand": 0.0})
        entry["schools"] += 1
        entry["seats"] += row["seats"]
        entry["demand"] += row["demand"]
    for entry in towns.values():
        entry["demand"] = round(entry["demand"], 2)
        entry["gap"] = round(entry["seats"] - entry["demand"], 2)
    return [towns[key] for key in sorted(towns)]


def invalid_moves(plan: CatchmentPlan, grid_ids: list[int], from_ids: list[int | None]) -> list[tuple[int, int]]:
    """Moves whose 'from' school does not serve the grid in the plan (to name them in an error)."""
    with connection.cursor() as cursor:
        cursor.execute(INVALID_MOVES_SQL, {"plan_id": plan.pk, "mv_grid": grid_ids, "mv_from": from_ids})
        return cursor.fetchall()


def plan_whatif(plan: CatchmentPlan, projection: Projection, scenario: dict, new_schools: dict[int, dict] | None = None) -> Balance:
    """Base and what-if figures side by side; the stored plan is only read.

    `scenario` holds parallel arrays: moves (grid, from school or None, to school) and the
    proposed schools (negative ids, level, seats, entry seats); see `services.whatif_scenario`.
    """
    return _attach_school_names(_run_balance(plan, projection, {**_empty_scenario(), **scenario}), new_schools)


# --- plans ---------------------------------------------------------------------------------

def published_plan() -> CatchmentPlan | None:
    return CatchmentPlan.objects.filter(status=PlanStatus.PUBLISHED).first()


def published_catchments():
    """Schools of the plan in force, each with its catchment (`catchment`: the union of its
    zones), for feature services; empty while none is published (proposals are not public)."""
    return (School.objects.filter(catchment_members__plan__status=PlanStatus.PUBLISHED)
            .annotate(catchment=Union("catchment_members__zone__geom")))


def plans_in_reach_of(user):
    """Plans `user` may change (`gridops.core.authz` scope): a planner's remit is the district's
    catchments, so every plan; anyone else none (publishing needs its permission on top)."""
    from . import rules

    return CatchmentPlan.objects.all() if rules.is_planner(user) else CatchmentPlan.objects.none()


def plan_or_published(plan_id) -> CatchmentPlan:
    """The plan asked for, or the one in force; NotFound names the `plan` field."""
    if plan_id in (None, ""):
        plan = published_plan()
        if plan is None:
            raise NotFound("no catchment plan is published yet", field="plan")
        return plan
    try:
        return CatchmentPlan.objects.get(pk=int(plan_id))
    except (ValueError, TypeError, CatchmentPlan.DoesNotExist):
        raise NotFound(f"catchment plan {plan_id} does not exist", field="plan") from None


# --- which schools serve a point ------------------------------------------------------------

SERVING_SQL = """
WITH {grid_members}
SELECT s.id, s.code, s.name, s.level, s.ownership, ST_X(s.location), ST_Y(s.location),
       gm.weight / SUM(gm.weight) OVER (PARTITION BY s.level) AS share,
       ST_Distance(s.location::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS metres
FROM grid_members gm JOIN education_school s ON s.id = gm.school_id
WHERE gm.grid_id = %(grid_id)s
ORDER BY s.level DESC, metres
""".format(grid_members=_GRID_MEMBERS_CTE)


def serving_schools(plan: CatchmentPlan, lon: float, lat: float) -> dict:
    """The micro-grid holding the point and the schools whose catchment it is in, with distances.

    Straight-line distance is on the geography; when a road network is loaded the distance
    along it is added (pgRouting, `geodata.roads.distances_from`), otherwise `road_m` is null.
    """
    from geodata.roads import distances_from
    from geodata.selectors import locate_point

    located = locate_point(lon, lat)
    if located is None:
        raise NotFound("the point is outside the district", field="lon")
    with connection.cursor() as cursor:
        cursor.execute(SERVING_SQL, {"plan_id": plan.pk, "grid_id": located.grid.pk, "lon": lon, "lat": lat})
        rows = cursor.fetchall()
    road = distances_from((lon, lat), [(r[5], r[6]) for r in rows])
    schools = [
        {"id": r[0], "code": r[1], "name": r[2], "level": r[3], "ownership": r[4], "lon": r[5], "lat": r[6],
         "share": round(r[7], 4), "straight_m": round(r[8], 1), "road_m": None if d is None else round(d, 1)}
        for r, d in zip(rows, road)
    ]
    return {"grid": {"code": located.grid.code, "name": located.grid.name},
            "town": {"code": located.town.code, "name": located.town.name},
            "plan": {"id": plan.pk, "name": plan.name, "status": plan.status}, "schools": schools}


# --- geometries for the map and exports ------------------------------------------------------

CATCHMENT_GEOMS_SQL = f"""
WITH {_GRID_MEMBERS_CTE}
SELECT gm.school_id, {as_geojson_sql('ST_Multi(ST_UnaryUnion(ST_Collect(z.geom)))')}
FROM grid_members gm JOIN geodata_zone z ON z.id = gm.grid_id
GROUP BY gm.school_id
"""


def catchment_geometries(plan: CatchmentPlan) -> dict[int, str]:
    """Each school's catchment as one GeoJSON multipolygon (the union of its grids)."""
    with connection.cursor() as cursor:
        cursor.execute(CATCHMENT_GEOMS_SQL, {"plan_id": plan.pk})
        return dict(cursor.fetchall())


GRID_DEMAND_SQL = f"""
WITH {_DEMAND_CTES}, {_GRID_MEMBERS_CTE}
SELECT z.code, z.name, z.residents,
       SUM(d.children) FILTER (WHERE d.level = 'primary') AS primary_children,
       SUM(d.children) FILTER (WHERE d.level = 'primary' AND d.hukou) AS primary_hukou,
       SUM(d.children) FILTER (WHERE d.level = 'junior') AS junior_children,
       SUM(d.children) FILTER (WHERE d.level = 'junior' AND d.hukou) AS junior_hukou,
       (SELECT string_agg(s.code, ';' ORDER BY s.code) FROM grid_members gm JOIN education_school s ON s.id = gm.school_id
        WHERE gm.grid_id = z.id) AS schools,
       {as_geojson_sql('z.geom')}
FROM grid_demand d JOIN geodata_zone z ON z.id = d.zone_id
GROUP BY z.id ORDER BY z.code
"""


def grid_demand(plan: CatchmentPlan, projection: Projection) -> list[dict]:
    """Projected children per micro-grid with the schools serving it (the demand view)."""
    with connection.cursor() as cursor:
        cursor.execute(GRID_DEMAND_SQL, {**projection.sql_params(), "plan_id": plan.pk})
        rows = cursor.fetchall()
    return [
        {"code": r[0], "name": r[1], "residents": r[2], "primary_children": round(r[3] or 0, 2),
         "primary_hukou": round(r[4] or 0, 2), "junior_children": round(r[5] or 0, 2),
         "junior_hukou": round(r[6] or 0, 2), "schools": r[7] or "", "geometry": r[8]}
        for r in rows
    ]


def school_by_code(code: str) -> School:
    try:
        return School.objects.get(code=code)
    except School.DoesNotExist:
        raise NotFound(f"school {code} does not exist", field="school") from None

