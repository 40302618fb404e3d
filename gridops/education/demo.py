"""Demo step: schools, children and a published catchment plan generated from the zones.

Deterministic (every random draw is seeded by a zone code) and plausible for Chancheng's ~1.2
million people: one primary school per ~12,500 residents and one junior school per ~32,000, the
old town (祖庙) with few young children but crowded schools (negative gaps), the outer towns
(南庄, 张槎) with more migrant (非户籍) families and a growing projection. Catchments are the
micro-grids nearest each school within its town; grids almost equally near two schools are
shared (多校划片), and villages whose grids all go to one school are assigned whole.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict

import numpy as np
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from . import conf
from .models import (AGES, GRADES, CatchmentMember, CatchmentPlan, GridChildren, Ownership, PlanStatus, School,
                     SchoolGrade, SchoolLevel)

RESIDENTS_PER_SCHOOL = {SchoolLevel.PRIMARY: 12_500, SchoolLevel.JUNIOR: 32_000}
# Per town: (children per age as a share of residents for ages 0-5, for 6-14), hukou share, seat factor.
TOWN_PROFILE = {
    "440604001": (0.0072, 0.0090, 0.74, 0.80),   # 祖庙: ageing old town, crowded schools
    "440604002": (0.0088, 0.0092, 0.62, 1.02),   # 石湾镇
    "440604003": (0.0098, 0.0094, 0.46, 0.97),   # 张槎: migrant workers
    "440604101": (0.0108, 0.0095, 0.50, 1.10),   # 南庄镇: growing, new estates
}
DEFAULT_PROFILE = (0.0090, 0.0092, 0.58, 1.0)
ORDINALS = "一二三四五六七八九十"
PRIVATE_STEMS = ["华英", "明德", "博文", "育才", "启智", "德艺", "英才", "培德"]
SHARE_RATIO = 1.12  # a grid whose second school is at most 12 % farther is shared


def _town_short(name: str) -> str:
    for suffix in ("街道办事处", "街道", "镇"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _ordinal(n: int) -> str:
    if n <= 10:
        return ORDINALS[n - 1]
    return ("" if n < 20 else ORDINALS[n // 10 - 1]) + "十" + ("" if n % 10 == 0 else ORDINALS[n % 10 - 1])


def _grids():
    sql = """
        SELECT g.id, g.code, g.residents, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)),
               g.parent_id, v.name, t.code, t.name
        FROM geodata_zone g
        JOIN geodata_zone v ON v.id = g.parent_id
        JOIN geodata_zone t ON t.code = left(g.code, 9) AND t.level = 1 AND t.generation_high_id IS NULL
        WHERE g.level = 4 AND g.generation_high_id IS NULL ORDER BY g.code"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _children(grids, base_year: int) -> list[GridChildren]:
    rows = []
    for gid, code, residents, *_rest, town_code, _town_name in grids:
        young, school_age, hukou_share, _ = TOWN_PROFILE.get(town_code, DEFAULT_PROFILE)
        rng = random.Random(code)
        share = min(0.95, max(0.05, hukou_share + rng.uniform(-0.12, 0.12)))
        for age in range(0, 15):
            rate = young if age < 6 else school_age
            expected = residents * rate * rng.uniform(0.85, 1.15)
            hukou = round(expected * share)
            rows.append(GridChildren(zone_id=gid, base_year=base_year, age=age, hukou=True, count=hukou))
            rows.append(GridChildren(zone_id=gid, base_year=base_year, age=age, hukou=False, count=max(0, round(expected) - hukou)))
    return rows


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Weighted k-means on projected metres; centres start at residents-ordered spread grids."""
    order = np.argsort(-weights, kind="stable")
    start = order[np.linspace(0, len(order) - 1, k).astype(int)]
    centres = points[start].copy()
    for _ in range(12):
        labels = np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        for j in range(k):
            mask = labels == j
            if mask.any() and weights[mask].sum() > 0:
                centres[j] = (points[mask] * weights[mask, None]).sum(0) / weights[mask].sum()
    return centres


def _place_schools(grids, level: str) -> list[dict]:
    """Schools of one level, town by town, at the grids nearest the weighted cluster centres."""
    by_town = defaultdict(list)
    for row in grids:
        by_town[(row[7], row[8])].append(row)
    schools = []
    for (town_code, town_name), rows in sorted(by_town.items()):
        residents = sum(r[2] for r in rows)
        k = max(1, min(len(rows), round(residents / RESIDENTS_PER_SCHOOL[level])))
        lat0 = math.radians(sum(r[4] for r in rows) / len(rows))
        pts = np.array([[r[3] * 111_320 * math.cos(lat0), r[4] * 110_540] for r in rows])
        weights = np.array([max(1, r[2]) for r in rows], dtype=float)
        centres = _kmeans(pts, weights, k)
        used = set()
        short = _town_short(town_name)
        for j, centre in enumerate(centres):
            dist = ((pts - centre) ** 2).sum(1)
            for idx in np.argsort(dist, kind="stable"):
                if idx not in used:
                    used.add(idx)
                    break
            row = rows[idx]
            rng = random.Random(f"{row[1]}{level}")
            private = rng.random() < 0.12 and j > 0
            schools.append({"town": town_code, "short": short, "village": row[6], "grid": row, "xy": pts[idx],
                            "private": private, "n": j + 1, "rng": rng})
        for s in schools[-k:]:
            s["pts"], s["rows"] = pts, rows
    return schools


def _name(school: dict, level: str, taken: set[str]) -> str:
    kind = "小学" if level == SchoolLevel.PRIMARY else "中学"
    prefix = "佛山市禅城区"
    village = school["village"].replace("社区", "").replace("村", "").replace("居委会", "")[:6]
    if school["private"]:
        stem = PRIVATE_STEMS[school["rng"].randrange(len(PRIVATE_STEMS))]
        candidates = [f"{prefix}{stem}实验学校", f"{prefix}{school['short']}{stem}学校"]
    elif school["n"] <= 3:
        candidates = [f"{prefix}{school['short']}第{_ordinal(school['n'])}{'小学' if kind == '小学' else '初级中学'}"]
    else:
        local = village if village.startswith(school["short"]) else school["short"] + village
        candidates = [f"{prefix}{local}{kind}", f"{prefix}{village}{kind}"]
    candidates.append(f"{prefix}{school['short']}第{_ordinal(school['n'])}{kind}")
    for name in candidates:
        if name not in taken:
            taken.add(name)
            return name
    name = f"{candidates[0]}（{school['n']}）"
    taken.add(name)
    return name


def _catchments(schools: list[dict]) -> dict[int, list[int]]:
    """School index → grid ids: nearest school in the town, shared when two are nearly as near."""
    result = defaultdict(list)
    by_town = defaultdict(list)
    for i, s in enumerate(schools):
        by_town[s["town"]].append(i)
    for _town, idxs in by_town.items():
        pts, rows = schools[idxs[0]]["pts"], schools[idxs[0]]["rows"]
        centres = np.array([schools[i]["xy"] for i in idxs])
        dist = np.sqrt(((pts[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
        order = np.argsort(dist, axis=1, kind="stable")
        for g, row in enumerate(rows):
            first = order[g, 0]
            result[idxs[first]].append(row[0])
            if len(idxs) > 1 and dist[g, order[g, 1]] <= SHARE_RATIO * max(dist[g, first], 300):
                result[idxs[order[g, 1]]].append(row[0])
    return result


def _grade_rows(school: School, level: str, grid_ids: list[int], shares: dict[int, float],
                children: dict[tuple[int, int, bool], int], factor: float, rng: random.Random) -> list[SchoolGrade]:
    size = conf.class_size(level)
    rows = []
    for grade, age in zip(GRADES[level], AGES[level]):
        demand = sum(children.get((g, age, h), 0) * shares[g] for g in grid_ids for h in (True, False))
        hukou = sum(children.get((g, age, True), 0) * shares[g] for g in grid_ids)
        classes = max(2, min(14, round(demand * factor * rng.uniform(0.93, 1.07) / size)))
        seats = classes * size
        enrolled = round(min(demand * rng.uniform(0.9, 0.97), seats * 1.06))
        hukou_share = min(1.0, (hukou / demand if demand else 0.6) + 0.04)
        rows.append(SchoolGrade(school=school, grade=grade, classes=classes, seats=seats, enrolled=enrolled,
                                enrolled_hukou=round(enrolled * hukou_share)))
    return rows


def load_demo_education(log) -> None:
    """Generate the education demo from the loaded zones; skipped when schools already exist."""
    if School.objects.exists():
        log("education: already loaded")
        return
    grids = _grids()
    if not grids:
        log("education: no micro-grids yet; load the zones first")
        return
    base_year = conf.base_year()
    with transaction.atomic():
        kids = _children(grids, base_year)
        GridChildren.objects.bulk_create(kids, batch_size=5000)
        children = {(c.zone_id, c.age, c.hukou): c.count for c in kids}
        plan = CatchmentPlan.objects.create(
            name=f"{base_year}年义务教育招生范围", school_year=base_year, status=PlanStatus.PUBLISHED,
            published_at=timezone.now(), notes="演示数据：按微网格就近划片，部分网格多校划片。",
        )
        taken: set[str] = set()
        total = 0
        village_of = {row[0]: row[5] for row in grids}
        grids_in_village = defaultdict(set)
        for row in grids:
            grids_in_village[row[5]].add(row[0])
        for level in (SchoolLevel.PRIMARY, SchoolLevel.JUNIOR):
            placed = _place_schools(grids, level)
            catchments = _catchments(placed)
            claims = defaultdict(int)
            for ids in catchments.values():
                for g in ids:
                    claims[g] += 1
            tag = "P" if level == SchoolLevel.PRIMARY else "J"
            for i, spec in enumerate(placed):
                row = spec["grid"]
                school = School.objects.create(
                    code=f"{spec['town']}{tag}{spec['n']:02d}", name=_name(spec, level, taken), level=level,
                    ownership=Ownership.PRIVATE if spec["private"] else Ownership.PUBLIC,
                    location=Point(row[3], row[4], srid=4326), zone_id=row[0],
                )
                grid_ids = catchments.get(i, [])
                shares = {g: 1 / claims[g] for g in grid_ids}
                factor = TOWN_PROFILE.get(spec["town"], DEFAULT_PROFILE)[3]
                SchoolGrade.objects.bulk_create(_grade_rows(school, level, grid_ids, shares, children, factor, spec["rng"]))
                CatchmentMember.objects.bulk_create(_members(plan, school, grid_ids, claims, village_of, grids_in_village))
                total += 1
        log(f"education: {total} schools, {len(grids)} grids of children, plan {plan.pk} published")
    with connection.cursor() as cursor:
        # fresh statistics, or the planner guesses a few rows and picks nested loops for the what-if
        cursor.execute("ANALYZE education_gridchildren, education_catchmentmember, education_school, education_schoolgrade")


def _members(plan, school, grid_ids, claims, village_of, grids_in_village) -> list[CatchmentMember]:
    """Whole villages when every grid of one goes to this school alone, else single grids."""
    mine = set(grid_ids)
    members, done = [], set()
    for g in sorted(mine):
        village = village_of[g]
        whole = grids_in_village[village]
        if village not in done and whole <= mine and all(claims[x] == 1 for x in whole):
            members.append(CatchmentMember(plan=plan, school=school, zone_id=village))
            done.add(village)
        elif village not in done:
            members.append(CatchmentMember(plan=plan, school=school, zone_id=g))
    return members
