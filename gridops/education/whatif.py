"""Turn a planner's what-if (moves between catchments, proposed schools) into SQL arrays.

A what-if is validated here, with each problem named by its field, and reduced to one shape:
parallel arrays of grid moves `(grid, from school or None, to school)` plus proposed schools with
negative ids. A proposed school that takes grids "move" takes them from their current schools of
its level; "share" adds it beside them (the grid is then split by weight, see selectors).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from geodata.models import Zone
from gridops.core.errors import InvalidInput
from gridops.core.numbers import parse_lon_lat

from . import conf
from .models import GRADES, CatchmentPlan, School, SchoolLevel
from .selectors import GRID, VILLAGE, _GRID_MEMBERS_CTE, invalid_moves


@dataclass
class Scenario:
    grids: list[int] = field(default_factory=list)
    froms: list[int | None] = field(default_factory=list)
    tos: list[int] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    new_levels: list[str] = field(default_factory=list)
    new_seats: list[float] = field(default_factory=list)
    new_entry: list[float] = field(default_factory=list)
    new_schools: dict[int, dict] = field(default_factory=dict)

    def sql_params(self) -> dict:
        return {"mv_grid": self.grids, "mv_from": self.froms, "mv_to": self.tos, "new_ids": self.new_ids,
                "new_levels": self.new_levels, "new_seats": self.new_seats, "new_entry": self.new_entry}

    def add(self, grid: int, source: int | None, target: int) -> None:
        self.grids.append(grid)
        self.froms.append(source)
        self.tos.append(target)


class GridResolver:
    """Zone codes → micro-grid ids for a whole what-if in two queries (not two per move)."""

    def __init__(self, code_lists):
        codes = {c for codes in code_lists if isinstance(codes, list) for c in codes if isinstance(c, str)}
        self.zones = {code: (pk, level) for pk, code, level in Zone.objects.filter(code__in=codes).values_list("id", "code", "level")}
        villages = [pk for pk, level in self.zones.values() if level == VILLAGE]
        self.children: dict[int, list[int]] = {}
        for pk, parent in Zone.objects.filter(level=GRID, parent_id__in=villages).values_list("id", "parent_id"):
            self.children.setdefault(parent, []).append(pk)

    def __call__(self, codes, field_name: str) -> list[int]:
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            raise InvalidInput("give a non-empty list of grid or village codes", field=field_name)
        unknown = [c for c in codes if c not in self.zones]
        if unknown:
            raise InvalidInput(f"unknown zone codes: {', '.join(unknown[:5])}", field=field_name)
        wrong = [c for c in codes if self.zones[c][1] not in (GRID, VILLAGE)]
        if wrong:
            raise InvalidInput(f"only micro-grids or villages can be assigned: {', '.join(wrong[:5])}", field=field_name)
        ids = set()
        for code in codes:
            pk, level = self.zones[code]
            ids.update([pk] if level == GRID else self.children.get(pk, []))
        return sorted(ids)


def grids_of(codes, field_name: str) -> list[int]:
    """Ids of the micro-grids named by codes (a village code stands for all its grids)."""
    return GridResolver([codes])(codes, field_name)


def _schools_by_code(codes: set[str]) -> dict[str, School]:
    return {s.code: s for s in School.objects.filter(code__in=codes)}


def _seats(spec: dict, level: str, prefix: str) -> tuple[float, float, list[int]]:
    grades = list(GRADES[SchoolLevel(level)])
    per_grade = spec.get("seats_per_grade")
    if isinstance(per_grade, int) and not isinstance(per_grade, bool):
        per_grade = [per_grade] * len(grades)
    if (not isinstance(per_grade, list) or len(per_grade) != len(grades)
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 5000 for n in per_grade)):
        raise InvalidInput(f"seats_per_grade must be a number or a list of {len(grades)} numbers (0-5000)",
                           field=f"{prefix}.seats_per_grade")
    return float(sum(per_grade)), float(per_grade[0]), per_grade


def _current_members(plan: CatchmentPlan, grid_ids: list[int], level: str) -> list[tuple[int, int]]:
    sql = f"""WITH {_GRID_MEMBERS_CTE}
        SELECT gm.grid_id, gm.school_id FROM grid_members gm JOIN education_school s ON s.id = gm.school_id
        WHERE gm.grid_id = ANY(%(grids)s) AND s.level = %(level)s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"plan_id": plan.pk, "grids": grid_ids, "level": level})
        return cursor.fetchall()


def _new_schools(plan: CatchmentPlan, specs, scenario: Scenario, resolve: GridResolver) -> dict[str, int]:
    if not isinstance(specs, list):
        raise InvalidInput("new_schools must be a list", field="new_schools")
    keys = {}
    for i, spec in enumerate(specs, start=1):
        prefix = f"new_schools[{i - 1}]"
        if not isinstance(spec, dict):
            raise InvalidInput("each new school is an object", field=prefix)
        level = spec.get("level")
        if level not in SchoolLevel.values:
            raise InvalidInput("level must be primary or junior", field=f"{prefix}.level")
        lon, lat = parse_lon_lat(spec.get("lon"), spec.get("lat"), prefix=f"{prefix}.")
        seats, entry, per_grade = _seats(spec, level, prefix)
        new_id = -i
        key = str(spec.get("key") or f"new{i}")
        keys[key] = new_id
        name = str(spec.get("name") or f"新建学校 {i}")[:128]
        scenario.new_ids.append(new_id)
        scenario.new_levels.append(level)
        scenario.new_seats.append(seats)
        scenario.new_entry.append(entry)
        scenario.new_schools[new_id] = {"code": key, "name": name, "lon": lon, "lat": lat, "planned": True,
                                        "seats_per_grade": per_grade}
        if spec.get("grids"):
            grid_ids = resolve(spec["grids"], f"{prefix}.grids")
            mode = spec.get("mode", "move")
            if mode not in ("move", "share"):
                raise InvalidInput("mode must be move or share", field=f"{prefix}.mode")
            current = _current_members(plan, grid_ids, level) if mode == "move" else []
            served = {g for g, _ in current}
            for grid, school in current:
                scenario.add(grid, school, new_id)
            for grid in grid_ids:
                if grid not in served:
                    scenario.add(grid, None, new_id)
    return keys


def build_scenario(plan: CatchmentPlan, data) -> Scenario:
    """Validate a what-if body and reduce it to a `Scenario` (field names point at the problem)."""
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", field=None)
    scenario = Scenario()
    moves = data.get("moves") or []
    if not isinstance(moves, list):
        raise InvalidInput("moves must be a list", field="moves")
    specs = data.get("new_schools") or []
    if not isinstance(specs, list):
        raise InvalidInput("new_schools must be a list", field="new_schools")
    resolve = GridResolver([m.get("grids") for m in moves if isinstance(m, dict)]
                           + [s.get("grids") for s in specs if isinstance(s, dict)])
    new_keys = _new_schools(plan, specs, scenario, resolve)
    codes = {str(m.get(k)) for m in moves if isinstance(m, dict) for k in ("from", "to") if m.get(k)}
    schools = _schools_by_code(codes)
    for i, move in enumerate(moves):
        prefix = f"moves[{i}]"
        if not isinstance(move, dict):
            raise InvalidInput("each move is an object with grids, from and to", field=prefix)
        target_code = move.get("to")
        if not isinstance(target_code, str):
            raise InvalidInput("to must be a school code or a proposed school's key", field=f"{prefix}.to")
        if target_code in new_keys:
            target, target_level = new_keys[target_code], scenario.new_levels[-new_keys[target_code] - 1]
        elif target_code in schools:
            target, target_level = schools[target_code].pk, schools[target_code].level
        else:
            raise InvalidInput(f"unknown school {target_code!r}", field=f"{prefix}.to")
        source = None
        if move.get("from") is not None:
            if not isinstance(move["from"], str) or move["from"] not in schools:
                raise InvalidInput(f"unknown school {move['from']!r}", field=f"{prefix}.from")
            if schools[move["from"]].level != target_level:
                raise InvalidInput("both schools must be of the same level", field=f"{prefix}.to")
            source = schools[move["from"]].pk
            if source == target:
                raise InvalidInput("from and to are the same school", field=f"{prefix}.to")
        for grid in resolve(move.get("grids"), f"{prefix}.grids"):
            scenario.add(grid, source, target)
    if len(scenario.grids) > conf.max_whatif_moves():
        raise InvalidInput(f"at most {conf.max_whatif_moves()} grid moves at once", field="moves")
    bad = invalid_moves(plan, scenario.grids, scenario.froms)
    if bad:
        zone = Zone.all_generations.only("code").get(pk=bad[0][0])
        school = School.objects.only("code").get(pk=bad[0][1])
        raise InvalidInput(f"grid {zone.code} is not in the catchment of {school.code} in this plan "
                           f"({len(bad)} such moves)", field="moves")
    return scenario
