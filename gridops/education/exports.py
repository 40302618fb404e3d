"""Planner views as GeoDataFrames, written as GeoPackage, GeoJSON or CSV for QGIS.

Every view has a fixed set of fields (the same in every format), so a file written here opens
with pyogrio/geopandas with the same features and fields, and the schools and members views can
be edited and imported back (`loaders.py`).
"""
from __future__ import annotations

import json
import os
import tempfile

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, shape

from gridops.core.errors import InvalidInput
from geodata.geojson import file_write_options

from .models import CatchmentMember, CatchmentPlan, School
from .projection import Projection
from .selectors import catchment_geometries, grid_demand, plan_balance

FORMATS = {
    "gpkg": ("GPKG", "application/geopackage+sqlite3"),
    "geojson": ("GeoJSON", "application/geo+json"),
    "csv": ("CSV", "text/csv; charset=utf-8"),
}
BALANCE_FIELDS = ["seats", "entry_seats", "classes", "enrolled", "enrolled_hukou", "enrolled_hukou_share", "demand",
                  "demand_hukou", "demand_non_hukou", "hukou_share", "entry_demand", "gap", "entry_gap", "grids"]


def _per_grade(school: School) -> dict:
    grades = list(school.grades.all())
    return {
        "classes_per_grade": ";".join(str(g.classes) for g in grades),
        "seats_per_grade": ";".join(str(g.seats) for g in grades),
        "enrolled_per_grade": ";".join(str(g.enrolled) for g in grades),
        "hukou_per_grade": ";".join(str(g.enrolled_hukou) for g in grades),
    }


def schools_frame(plan: CatchmentPlan, projection: Projection) -> gpd.GeoDataFrame:
    balance = plan_balance(plan, projection)
    schools = {s.pk: s for s in School.objects.prefetch_related("grades")}
    rows = []
    for row in balance.schools:
        school = schools[row["id"]]
        rows.append({"code": row["code"], "name": row["name"], "level": row["level"], "ownership": row["ownership"],
                     "town": row["town"] or "", "address": school.address, **{f: row[f] for f in BALANCE_FIELDS},
                     **_per_grade(school), "year": projection.year, "geometry": Point(row["lon"], row["lat"])})
    return _frame(rows, ["code", "name", "level", "ownership", "town", "address", *BALANCE_FIELDS,
                         "classes_per_grade", "seats_per_grade", "enrolled_per_grade", "hukou_per_grade", "year"])


def catchments_frame(plan: CatchmentPlan, projection: Projection) -> gpd.GeoDataFrame:
    balance = plan_balance(plan, projection)
    geoms = catchment_geometries(plan)
    rows = [{"school": r["code"], "name": r["name"], "level": r["level"], **{f: r[f] for f in BALANCE_FIELDS},
             "plan": plan.pk, "year": projection.year, "geometry": shape(json.loads(geoms[r["id"]]))}
            for r in balance.schools if r["id"] in geoms]
    return _frame(rows, ["school", "name", "level", *BALANCE_FIELDS, "plan", "year"])


def grids_frame(plan: CatchmentPlan, projection: Projection) -> gpd.GeoDataFrame:
    rows = [{**{k: v for k, v in r.items() if k != "geometry"}, "year": projection.year,
             "geometry": shape(json.loads(r["geometry"]))} for r in grid_demand(plan, projection)]
    return _frame(rows, ["code", "name", "residents", "primary_children", "primary_hukou", "junior_children",
                         "junior_hukou", "schools", "year"])


def members_frame(plan: CatchmentPlan, projection: Projection) -> gpd.GeoDataFrame:
    members = CatchmentMember.objects.filter(plan=plan).select_related("school", "zone").order_by("school__code", "zone__code")
    rows = [{"school": m.school.code, "zone": m.zone.code, "zone_name": m.zone.name, "weight": m.weight,
             "plan": plan.pk, "geometry": shape(json.loads(m.zone.geom.geojson))} for m in members]
    return _frame(rows, ["school", "zone", "zone_name", "weight", "plan"])


VIEWS = {"schools": schools_frame, "catchments": catchments_frame, "grids": grids_frame, "members": members_frame}


def _frame(rows: list[dict], columns: list[str]) -> gpd.GeoDataFrame:
    data = pd.DataFrame(rows, columns=[*columns, "geometry"])
    return gpd.GeoDataFrame(data.drop(columns="geometry"), geometry=list(data["geometry"]), crs="EPSG:4326")


def frame_bytes(frame: gpd.GeoDataFrame, fmt: str, layer: str) -> bytes:
    """The frame as a file's bytes. CSV carries the geometry as a WKT column (GDAL reads it back)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    if fmt == "csv":
        table = pd.DataFrame(frame.drop(columns="geometry"))
        table.insert(0, "WKT", frame.geometry.to_wkt())
        return table.to_csv(index=False).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{layer}.{fmt}")
        frame.to_file(path, driver=FORMATS[fmt][0], layer=layer, engine="pyogrio",
                      **file_write_options(FORMATS[fmt][0]))
        with open(path, "rb") as handle:
            return handle.read()


def export_view(view: str, fmt: str, plan: CatchmentPlan, projection: Projection) -> tuple[bytes, str, str]:
    """(content, content type, file name) of one planner view in one format."""
    if view not in VIEWS:
        raise InvalidInput(f"view must be one of {', '.join(VIEWS)}", field="view")
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    frame = VIEWS[view](plan, projection)
    name = f"education-{view}-plan{plan.pk}-{projection.year}.{fmt}"
    return frame_bytes(frame, fmt, view), FORMATS[fmt][1], name
