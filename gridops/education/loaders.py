"""Import schools and catchments from GeoPackage, GeoJSON or CSV (what the exports write).

Like the zone loader: every problem is reported with its feature and the reason, nothing is
written unless `commit=True` and there is no problem, and a commit is one transaction. The same
functions serve the management commands, the API upload and the tests (MapIt's `run` shape).

Schools: code, name, level, geometry (point) and optionally ownership, address and the
per-grade lists `classes_per_grade`, `seats_per_grade`, `enrolled_per_grade`, `hukou_per_grade`
("45;45;..."). Catchments: school and either zone (a micro-grid or village code, with an
optional weight) or a polygon, which takes the micro-grids whose point-on-surface it covers.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pyogrio
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from geodata.models import Zone
from geodata.selectors import locate_many
from gridops.core.errors import InvalidInput
from gridops.core.loaders import LoaderReport, Problem

from .models import GRADES, CatchmentMember, CatchmentPlan, Ownership, PlanStatus, School, SchoolGrade, SchoolLevel

GRID, VILLAGE = 4, 3


@dataclass
class ImportReport(LoaderReport):
    """`LoaderReport` of a school or catchment upload; a problem names the feature's number."""

    features: int = 0
    created: int = 0
    updated: int = 0
    plan: int | None = None

    def problem(self, feature: int | None, code: str, column: str | None, reason: str) -> None:
        self.problems.append(Problem(reason=reason, feature=feature, code=code, field=column))

    def as_dict(self) -> dict:
        return {"features": self.features, "created": self.created, "updated": self.updated,
                "problems": [p.as_dict() for p in self.problems], "committed": self.committed, "plan": self.plan}


def read_frame(path: str) -> gpd.GeoDataFrame:
    """Any of our formats as a GeoDataFrame in EPSG:4326; unreadable files are a 400 on `file`."""
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several GDAL error classes; all mean "not readable"
        raise InvalidInput(f"the file cannot be read: {exc}", field="file") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs="EPSG:4326")
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    return frame


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _int_list(value, count: int) -> list[int] | None:
    text = _text(value)
    if not text:
        return None
    try:
        numbers = [int(float(part)) for part in text.replace(",", ";").split(";")]
    except ValueError:
        return []
    return numbers if len(numbers) == count and all(n >= 0 for n in numbers) else []


def _school_rows(frame, report: ImportReport) -> list[dict]:
    missing = [c for c in ("code", "name", "level") if c not in frame.columns]
    if missing:
        report.problem(None, "", missing[0], f"missing column(s): {', '.join(missing)}")
        return []
    rows, seen = [], set()
    points = []
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        code, name, level = _text(rec.get("code")), _text(rec.get("name")), _text(rec.get("level"))
        ok = True
        for column, value in (("code", code), ("name", name)):
            if not value:
                report.problem(i, code, column, f"{column} is empty")
                ok = False
        if code in seen:
            report.problem(i, code, "code", "the code appears twice in the file")
            ok = False
        seen.add(code)
        if level not in SchoolLevel.values:
            report.problem(i, code, "level", "level must be primary or junior")
            ok = False
        ownership = _text(rec.get("ownership")) or Ownership.PUBLIC
        if ownership not in Ownership.values:
            report.problem(i, code, "ownership", "ownership must be public or private")
            ok = False
        geom = rec.get("geometry")
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            report.problem(i, code, "geometry", "a school needs a point location")
            ok = False
        grades = {}
        if level in SchoolLevel.values:
            count = len(GRADES[SchoolLevel(level)])
            for column in ("classes_per_grade", "seats_per_grade", "enrolled_per_grade", "hukou_per_grade"):
                values = _int_list(rec.get(column), count)
                if values == []:
                    report.problem(i, code, column, f"give {count} non-negative whole numbers separated by ';'")
                    ok = False
                grades[column] = values
            if grades.get("enrolled_per_grade") and grades.get("hukou_per_grade") and any(
                    h > e for h, e in zip(grades["hukou_per_grade"], grades["enrolled_per_grade"])):
                report.problem(i, code, "hukou_per_grade", "more hukou pupils than enrolled in a grade")
                ok = False
        if ok:
            rows.append({"feature": i, "code": code[:32], "name": name[:128], "level": level, "ownership": ownership,
                         "address": _text(rec.get("address"))[:200], "x": geom.x, "y": geom.y, **grades})
            points.append((geom.x, geom.y))
    located = locate_many(points)
    kept = []
    for row, hit in zip(rows, located):
        if hit is None:
            report.problem(row["feature"], row["code"], "geometry", "the point is outside the district")
        else:
            row["zone_id"] = hit.grid.pk
            kept.append(row)
    return kept


def import_schools(path: str, *, commit: bool = False, log=None) -> ImportReport:
    """Create or update schools by code (their grades too); a dry run unless `commit`."""
    frame = read_frame(path)
    report = ImportReport(features=len(frame))
    rows = _school_rows(frame, report)
    if report.problems or not commit:
        return report
    existing = {s.code: s for s in School.objects.filter(code__in=[r["code"] for r in rows])}
    with transaction.atomic():
        for row in rows:
            school = existing.get(row["code"]) or School(code=row["code"])
            if school.pk:
                report.updated += 1
            else:
                report.created += 1
            school.name, school.level, school.ownership, school.address = row["name"], row["level"], row["ownership"], row["address"]
            school.location, school.zone_id = Point(row["x"], row["y"], srid=4326), row["zone_id"]
            school.save()
            if row.get("seats_per_grade"):
                _replace_grades(school, row)
        report.committed = True
    if log:
        log(f"schools: {report.created} created, {report.updated} updated")
    return report


def _replace_grades(school: School, row: dict) -> None:
    school.grades.all().delete()
    grades = list(GRADES[SchoolLevel(school.level)])
    zeros = [0] * len(grades)
    SchoolGrade.objects.bulk_create(
        SchoolGrade(school=school, grade=g, classes=c, seats=s, enrolled=e, enrolled_hukou=h)
        for g, c, s, e, h in zip(grades, row.get("classes_per_grade") or zeros, row["seats_per_grade"],
                                 row.get("enrolled_per_grade") or zeros, row.get("hukou_per_grade") or zeros)
    )


_POLYGON_GRIDS_SQL = """
SELECT p.i, z.id
FROM unnest(%s::int[], %s::text[]) AS p(i, wkt)
JOIN geodata_zone z ON z.level = 4 AND z.generation_high_id IS NULL
 AND ST_Covers(ST_MakeValid(ST_GeomFromText(p.wkt, 4326)), ST_PointOnSurface(z.geom))
"""


def _catchment_rows(frame, report: ImportReport) -> list[tuple[int, int, float]]:
    if "school" not in frame.columns:
        report.problem(None, "", "school", "missing column: school")
        return []
    records = frame.to_dict("records")
    schools = {s.code: s.pk for s in School.objects.filter(code__in={_text(r.get("school")) for r in records})}
    zone_codes = {_text(r.get("zone")) for r in records} - {""}
    zones = {z.code: (z.pk, z.level) for z in Zone.objects.filter(code__in=zone_codes).only("id", "code", "level")}
    members, polygons, seen = [], [], set()
    for i, rec in enumerate(records, start=1):
        school_code, zone_code = _text(rec.get("school")), _text(rec.get("zone"))
        if school_code not in schools:
            report.problem(i, school_code, "school", f"unknown school {school_code!r}")
            continue
        weight_text = _text(rec.get("weight"))
        try:
            weight = float(weight_text) if weight_text else 1.0
        except ValueError:
            weight = -1
        if not (0 < weight <= 100):
            report.problem(i, school_code, "weight", "weight must be a number in (0, 100]")
            continue
        if zone_code:
            if zone_code not in zones:
                report.problem(i, school_code, "zone", f"unknown zone {zone_code!r}")
                continue
            zone_id, level = zones[zone_code]
            if level not in (GRID, VILLAGE):
                report.problem(i, school_code, "zone", f"zone {zone_code} is not a micro-grid or village")
                continue
            if (schools[school_code], zone_id) in seen:
                report.problem(i, school_code, "zone", f"{zone_code} is given twice for this school")
                continue
            seen.add((schools[school_code], zone_id))
            members.append((schools[school_code], zone_id, weight))
            continue
        geom = rec.get("geometry")
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            report.problem(i, school_code, "zone", "give a zone code or a polygon")
            continue
        if not geom.is_valid:
            report.problem(i, school_code, "geometry", "invalid polygon (repaired with ST_MakeValid); check it")
        polygons.append((i, school_code, schools[school_code], weight, geom.wkt))
    if polygons:
        with connection.cursor() as cursor:
            cursor.execute(_POLYGON_GRIDS_SQL, [[p[0] for p in polygons], [p[4] for p in polygons]])
            hits = cursor.fetchall()
        grids_by_feature: dict[int, list[int]] = {}
        for i, zone_id in hits:
            grids_by_feature.setdefault(i, []).append(zone_id)
        for i, school_code, school_id, weight, _wkt in polygons:
            if i not in grids_by_feature:
                report.problem(i, school_code, "geometry", "the polygon covers no micro-grid")
            for zone_id in grids_by_feature.get(i, []):
                if (school_id, zone_id) not in seen:
                    seen.add((school_id, zone_id))
                    members.append((school_id, zone_id, weight))
    return members


def import_catchments(path: str, *, name: str = "", plan: CatchmentPlan | None = None, school_year: int | None = None,
                      user=None, commit: bool = False, log=None) -> ImportReport:
    """Catchments into a draft: the given draft's members are replaced, or a new draft is made."""
    if plan is not None and plan.status != PlanStatus.DRAFT:
        raise InvalidInput("catchments can only be imported into a draft plan", field="plan")
    frame = read_frame(path)
    report = ImportReport(features=len(frame))
    members = _catchment_rows(frame, report)
    if report.problems or not commit:
        return report
    from . import conf

    with transaction.atomic():
        if plan is None:
            plan = CatchmentPlan.objects.create(name=(name or "导入的招生范围")[:128], school_year=school_year or conf.base_year(),
                                                created_by=user if user is not None and user.is_authenticated else None)
        else:
            report.updated = plan.members.count()
            plan.members.all().delete()
        CatchmentMember.objects.bulk_create(CatchmentMember(plan=plan, school_id=s, zone_id=z, weight=w) for s, z, w in members)
        report.created = len(members)
        report.committed = True
        report.plan = plan.pk
    if log:
        log(f"catchments: {report.created} memberships in plan {plan.pk}")
    return report
