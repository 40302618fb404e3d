"""Import and export zone files (GeoPackage, Shapefile, GeoJSON) through geopandas/pyogrio.

MapIt's importer shape: `run(path, *, level, commit, logger) -> ImportReport` is called by the
`import_zones` command, the demo loader and the tests alike. It is a dry run unless `commit=True`:
every feature is read, reprojected to EPSG:4326, repaired with make_valid where possible (and the
repair reported), coerced to MultiPolygon, given a parent (the zone one level up that holds its
`point_on_surface`; a `parent_code` column, when present, must agree) and validated. Every problem
is reported as (feature, reason). Nothing is written unless commit is asked for *and* there are
no errors; then everything is written in one transaction: a redrawn grid (ground or tree changed)
as a new boundary generation beside the old one (`geodata.generations`), anything else upserted
by code into the current generation. `generation="new"` or `"current"` overrides the choice.

Layout (the same for export and import): one layer per level named district, town, area, village,
grid, with fields code, name, level, parent_code, residents, households, area_m2, and a
`command_centres` point layer (code, name, zone_code). A GeoPackage holds them all; GeoJSON and
Shapefile exports are a directory with one file per layer (`grid.geojson`, `grid.shp`, …), and
Shapefile's ten-character field limit turns parent_code into `parent`.
"""
from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from django.db import transaction
from shapely.geometry import MultiPolygon

from geodata import conf, generations
from geodata.geojson import file_write_options
from geodata.models import CODE_LENGTH, CommandCentre, Generation, Level, Zone
from geodata.services import CentreRecord, ZoneRecord, centres_upsert, zones_roll_up_population, zones_upsert
from gridops.core.loaders import LoaderReport, Problem

logger = logging.getLogger(__name__)

LAYERS = [level.name.lower() for level in Level]  # district, town, area, village, grid
CENTRES_LAYER = "command_centres"
FORMATS = {"gpkg": ("GPKG", ".gpkg"), "geojson": ("GeoJSON", ".geojson"), "shp": ("ESRI Shapefile", ".shp")}
PARENT_ALIASES = ("parent_code", "parent", "parent_cod")
ROOT_CODE = "440604"


@dataclass
class ImportReport(LoaderReport):
    """`LoaderReport` of a zone import; problems name the feature ("#<index> <code>")."""

    path: str = ""
    levels: list[str] = field(default_factory=list)
    read: int = 0
    created: int = 0
    updated: int = 0
    centres: int = 0
    redraw: str = ""  # the new generation's summary when the import is a redraw
    generation: int | None = None  # the generation written (committed runs)
    moved: dict[str, int] = field(default_factory=dict)  # assignments moved to the new zones, by field

    def lines(self) -> list[str]:
        verb = "" if self.committed else "would "
        out = [
            f"{self.path}: levels {', '.join(self.levels) or '-'}; read {self.read} features",
            f"{verb}create {self.created}, {verb}update {self.updated} zones; {self.centres} command centres",
            f"{len(self.repaired)} repaired, {len(self.errors)} errors",
        ]
        if self.redraw:
            out.append(f"{verb}open a {self.redraw}" + (f" (generation {self.generation})" if self.generation else ""))
        if self.moved:
            out.append("moved to the new zones: " + ", ".join(f"{name} {n}" for name, n in sorted(self.moved.items())))
        out.extend(str(p) for p in self.problems)
        if not self.committed:
            out.append("nothing changed" + ("" if self.ok else " (fix the errors first)") + ("" if self.errors else "; use --commit to write"))
        return out


class _Staging:
    """What this run would write, level by level, so lower levels find parents in the same file."""

    def __init__(self) -> None:
        self.zones: dict[str, ZoneRecord] = {}
        self.geoms: dict[str, shapely.Geometry] = {}
        self.centres: list[CentreRecord] = []

    def parents_at(self, level: int) -> tuple[list[str], list[shapely.Geometry]]:
        """Candidate parents: the database's zones at `level`, overridden by the file's."""
        found = {z.code: shapely.from_wkb(bytes(z.geom.wkb)) for z in Zone.objects.filter(level=level).only("code", "geom")}
        found.update({c: g for c, g in self.geoms.items() if self.zones[c].level == level})
        codes = sorted(found)
        return codes, [found[c] for c in codes]

    def zone_exists(self, code: str) -> bool:
        return code in self.zones or Zone.objects.filter(code=code).exists()


GENERATION_CHOICES = ("auto", "new", "current")


def run(path, *, level: str = "all", commit: bool = False, logger: logging.Logger = logger,
        generation: str = "auto", valid_from: datetime.date | None = None, description: str = "") -> ImportReport:
    """Read `path` (a file, or a directory of per-layer files) and import one level or all.

    `generation`: "auto" opens a new generation when the file redraws the grid, "new" always,
    "current" never (a correction written over the current generation). `valid_from` (default
    today) and `description` describe a new generation."""
    if level != "all":
        Level.from_name(level)  # an unknown level is a usage error (ValueError), not a file problem
    if generation not in GENERATION_CHOICES:
        raise ValueError(f"generation must be one of {', '.join(GENERATION_CHOICES)}")
    path = Path(path)
    report = ImportReport(path=str(path))
    staging = _Staging()
    try:
        sources = _sources(path, level)
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as exc:
        report.problems.append(Problem.at_feature(str(path), str(exc)))
        return report
    for name, frame in sources:
        report.levels.append(name)
        report.read += len(frame)
        if name == CENTRES_LAYER:
            _stage_centres(frame, staging, report)
        else:
            _stage_level(frame, Level[name.upper()], staging, report)
    for problem in report.problems:
        (logger.warning if problem.severity == "error" else logger.info)("%s", problem)
    existing = set(Zone.objects.filter(code__in=list(staging.zones)).values_list("code", flat=True))
    report.updated = len(existing)
    report.created = len(staging.zones) - len(existing)
    report.centres = len(staging.centres)
    plan = None
    if report.ok and staging.zones and generation != "current" and (
            generation == "new" or generations.is_redraw(staging.zones, staging.geoms)):
        plan = generations.plan_redraw(staging.zones, staging.geoms)
        report.problems.extend(Problem.at_feature(f"zone {code}", reason) for code, reason in plan.errors)
        report.redraw = plan.summary()
        report.created, report.updated = len(plan.new_rows), len(plan.kept)
        current = Generation.objects.current()
        if valid_from and current and valid_from < current.valid_from:
            report.problems.append(Problem.at_feature(
                "valid_from", f"{valid_from} is before the current generation's start {current.valid_from}"))
    if commit and report.ok:
        with transaction.atomic():
            if plan is not None:
                new, moved = generations.generation_commit(plan, staging.zones, valid_from=valid_from,
                                                           description=description)
                report.generation, report.moved = new.pk, dict(moved)
            else:
                if valid_from and not Generation.objects.exists():  # the first load says when it holds from
                    Generation.objects.create(valid_from=valid_from, description=description or "initial grid")
                report.created, report.updated = zones_upsert(records=staging.zones.values())
            if any(r.level == Level.GRID for r in staging.zones.values()):
                zones_roll_up_population()
            centres_upsert(records=staging.centres)
        report.committed = True
    return report


def _sources(path: Path, level: str) -> list[tuple[str, gpd.GeoDataFrame]]:
    """(layer name, frame) pairs to import, in hierarchy order."""
    if level == "all":
        wanted = [*LAYERS, CENTRES_LAYER]
    else:
        wanted = [Level.from_name(level).name.lower()]
    if not path.exists():
        raise ValueError(f"no such file or directory: {path}")
    if path.is_dir():
        found = []
        for name in wanted:
            files = [p for ext in (".gpkg", ".geojson", ".json", ".shp") if (p := path / f"{name}{ext}").exists()]
            if files:
                found.append((name, _read(files[0], None)))
            elif level != "all" or name in LAYERS:
                raise ValueError(f"{path}: no file for layer {name!r}")
        return found
    layers = [row[0] for row in pyogrio.list_layers(path)]
    if level == "all":
        missing = [n for n in LAYERS if n not in layers]
        if missing:
            raise ValueError(f"{path}: --level all needs layers {', '.join(LAYERS)}; missing {', '.join(missing)}")
        return [(n, _read(path, n)) for n in wanted if n in layers]
    name = wanted[0]
    if name in layers:
        return [(name, _read(path, name))]
    if len(layers) == 1:
        return [(name, _read(path, layers[0]))]
    raise ValueError(f"{path}: no layer named {name!r} among {', '.join(layers)}")


def _read(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    return gpd.read_file(path, layer=layer, engine="pyogrio")


def _to_wgs84(frame: gpd.GeoDataFrame, layer: str, report: ImportReport) -> gpd.GeoDataFrame | None:
    if frame.crs is None:
        report.problems.append(Problem.at_feature(f"layer {layer}", "the file has no coordinate reference system; refusing to guess one"))
        return None
    return frame if frame.crs.to_epsg() == 4326 else frame.to_crs(4326)


def _text(value) -> str:
    """Codes as text even when a file stored them as numbers."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _count(value, column: str, problems: list[str]) -> int:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"{column} {value!r} is not a number")
        return 0
    if number < 0 or not number.is_integer():
        problems.append(f"{column} {value!r} must be a whole number ≥ 0")
        return 0
    return int(number)


def _polygonal(geom, feature: str, report: ImportReport) -> MultiPolygon | None:
    """A valid MultiPolygon, repaired if need be, or None with the reason reported."""
    if geom is None or geom.is_empty:
        report.problems.append(Problem.at_feature(feature, "no geometry"))
        return None
    west, south, east, north = conf.zone_extent()
    x0, y0, x1, y1 = geom.bounds
    if not (west <= x0 <= x1 <= east and south <= y0 <= y1 <= north):
        report.problems.append(Problem.at_feature(
            feature, f"coordinates ({x0:.6g}, {y0:.6g})-({x1:.6g}, {y1:.6g}) lie outside the expected extent "
                     f"{west}, {south}, {east}, {north} (degrees): is the file's CRS declared correctly?"))
        return None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
        report.problems.append(Problem.at_feature(feature, f"invalid geometry ({reason}) repaired with make_valid", "repaired"))
    parts = [p for p in shapely.get_parts(shapely.get_parts(geom)) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        report.problems.append(Problem.at_feature(feature, f"{geom.geom_type} has no area: cannot be a zone"))
        return None
    multi = MultiPolygon(parts)
    if not multi.is_valid:  # overlapping polygons of a collection
        multi = shapely.make_valid(shapely.union_all(parts))
        multi = MultiPolygon([p for p in shapely.get_parts(multi) if p.geom_type == "Polygon"])
        if multi.is_empty or not multi.is_valid:
            report.problems.append(Problem.at_feature(feature, "geometry cannot be repaired into valid polygons"))
            return None
    return multi


def _stage_level(frame: gpd.GeoDataFrame, level: Level, staging: _Staging, report: ImportReport) -> None:
    layer = level.name.lower()
    if frame.empty:  # an empty layer (GeoJSON/Shapefile then keep no columns): nothing to stage
        return
    frame = _to_wgs84(frame, layer, report)
    if frame is None:
        return
    for column in ("code", "name"):
        if column not in frame.columns:
            report.problems.append(Problem.at_feature(f"layer {layer}", f"missing column {column!r}"))
            return
    parent_column = next((c for c in PARENT_ALIASES if c in frame.columns), None)
    parent_codes, parent_geoms = staging.parents_at(level - 1) if level > Level.DISTRICT else ([], [])
    tree = shapely.STRtree(parent_geoms)
    seen: set[str] = set()
    for index, row in enumerate(frame.itertuples(index=False)):
        code = _text(getattr(row, "code"))
        feature = f"{layer} #{index} {code or '(no code)'}"
        reasons: list[str] = []
        name = _text(getattr(row, "name"))
        if not name:
            reasons.append("name is empty")
        elif len(name) > 64:
            reasons.append("name is longer than 64 characters")
        if not code.isdigit() or not code.startswith(ROOT_CODE):
            reasons.append(f"code {code!r} must be digits starting with {ROOT_CODE}")
        elif len(code) != CODE_LENGTH[level]:
            reasons.append(f"code {code} has {len(code)} digits; a {layer} code has {CODE_LENGTH[level]}")
        elif code in seen:
            reasons.append(f"code {code} appears twice in the file")
        seen.add(code)
        if "level" in frame.columns and _text(getattr(row, "level")) not in ("", str(int(level))):
            reasons.append(f"level {_text(getattr(row, 'level'))!r} does not match the {layer} layer ({int(level)})")
        residents = _count(getattr(row, "residents", None), "residents", reasons)
        households = _count(getattr(row, "households", None), "households", reasons)
        geom = _polygonal(row.geometry, feature, report)
        parent = None
        if geom is not None and level > Level.DISTRICT:
            given = _text(getattr(row, parent_column)) if parent_column else ""
            parent = _find_parent(geom, tree, parent_codes, given, reasons)
            if parent and code.isdigit() and not code.startswith(parent):
                reasons.append(f"code {code} does not start with its parent's code {parent}")
        report.problems.extend(Problem.at_feature(feature, r) for r in reasons)
        if reasons or geom is None:
            continue
        staging.zones[code] = ZoneRecord(code, name, int(level), parent, shapely.to_wkb(geom), residents, households)
        staging.geoms[code] = geom


def _find_parent(geom, tree: shapely.STRtree, codes: list[str], given: str, reasons: list[str]) -> str | None:
    """The parent zone that holds the child's point_on_surface (lowest code on a shared edge)."""
    point = geom.point_on_surface()
    hits = sorted(codes[i] for i in tree.query(point, predicate="intersects"))
    found = hits[0] if hits else None
    if given and found and given != found:
        reasons.append(f"parent_code {given} disagrees with the zone that contains it ({found})")
        return None
    if not found:
        if given and given in codes:
            reasons.append(f"lies outside its parent {given}")
        else:
            reasons.append("no zone one level up contains it" + (f" (parent_code {given} is unknown)" if given else ""))
        return None
    return found


def _stage_centres(frame: gpd.GeoDataFrame, staging: _Staging, report: ImportReport) -> None:
    if frame.empty:
        return
    frame = _to_wgs84(frame, CENTRES_LAYER, report)
    if frame is None:
        return
    for index, row in enumerate(frame.itertuples(index=False)):
        code = _text(getattr(row, "code", None))
        zone_code = _text(getattr(row, "zone_code", None))
        feature = f"{CENTRES_LAYER} #{index} {code or '(no code)'}"
        geom = row.geometry
        if not code or not _text(getattr(row, "name", None)):
            report.problems.append(Problem.at_feature(feature, "code and name are required"))
        elif geom is None or geom.geom_type != "Point":
            report.problems.append(Problem.at_feature(feature, "a command centre is a point"))
        elif not staging.zone_exists(zone_code):
            report.problems.append(Problem.at_feature(feature, f"zone_code {zone_code!r} is not a known zone"))
        else:
            staging.centres.append(CentreRecord(code, _text(row.name), zone_code, geom.x, geom.y))


# ------------------------------------------------------------------------------------------ export

def export(path, *, fmt: str = "gpkg", levels: list[str] | None = None) -> list[Path]:
    """Write zones (and command centres when every level is asked for); returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    driver, ext = FORMATS[fmt]
    names = [Level.from_name(n).name.lower() for n in levels] if levels else LAYERS
    path = Path(path)
    written: list[Path] = []
    if fmt == "gpkg":
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
    else:
        path.mkdir(parents=True, exist_ok=True)
    frames = [(n, _level_frame(Level[n.upper()])) for n in names]
    if not levels:
        frames.append((CENTRES_LAYER, _centres_frame()))
    for name, frame in frames:
        if fmt == "shp":
            frame = frame.rename(columns={"parent_code": "parent"})
        target = path if fmt == "gpkg" else path / f"{name}{ext}"
        if fmt != "gpkg" and target.exists():
            target.unlink()
        frame.to_file(target, layer=name if fmt == "gpkg" else None, driver=driver, engine="pyogrio",
                      **({"encoding": "UTF-8"} if fmt == "shp" else {}), **file_write_options(driver))
        if target not in written:
            written.append(target)
    return written


def _level_frame(level: Level) -> gpd.GeoDataFrame:
    rows = list(Zone.objects.filter(level=level).select_related("parent").order_by("code"))
    return gpd.GeoDataFrame(
        {
            "code": [z.code for z in rows],
            "name": [z.name for z in rows],
            "level": [int(z.level) for z in rows],
            "parent_code": [z.parent.code if z.parent else None for z in rows],
            "residents": [z.residents for z in rows],
            "households": [z.households for z in rows],
            "area_m2": [round(z.area_m2, 1) for z in rows],
        },
        geometry=[shapely.from_wkb(bytes(z.geom.wkb)) for z in rows],
        crs=4326,
    )


def _centres_frame() -> gpd.GeoDataFrame:
    rows = list(CommandCentre.objects.select_related("zone").order_by("code"))
    return gpd.GeoDataFrame(
        {"code": [c.code for c in rows], "name": [c.name for c in rows], "zone_code": [c.zone.code for c in rows]},
        geometry=[shapely.Point(c.location.x, c.location.y) for c in rows],
        crs=4326,
    )
