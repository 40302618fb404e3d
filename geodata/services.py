"""Writes to zones: upserts from an import and the population roll-up.

Callers (the importer, the demo loader) pass plain records; the database enforces the rest
(valid geometry, code length per level, a parent one level up whose code prefixes the child's).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connection, transaction

from gridops.core import refcache

from .coords import METRIC_SRID
from .models import CommandCentre, Level, Zone


@dataclass(frozen=True)
class ZoneRecord:
    code: str
    name: str
    level: int
    parent_code: str | None
    wkb: bytes  # MultiPolygon in EPSG:4326
    residents: int = 0
    households: int = 0


@dataclass(frozen=True)
class CentreRecord:
    code: str
    name: str
    zone_code: str
    lon: float
    lat: float


def zones_upsert(*, records: Iterable[ZoneRecord]) -> tuple[int, int]:
    """Create or update zones by code, parents first; returns (created, updated).

    Area is measured afterwards in EPSG:4547 by the database, so every zone's area_m2 comes
    from the same projection whatever the file said.
    """
    records = sorted(records, key=lambda r: (r.level, r.code))
    codes = [r.code for r in records]
    with transaction.atomic():
        existing = {z.code: z for z in Zone.objects.filter(code__in=codes)}
        created = updated = 0
        for level in sorted({r.level for r in records}):
            batch = [r for r in records if r.level == level]
            parent_ids = dict(Zone.objects.filter(code__in={r.parent_code for r in batch if r.parent_code}).values_list("code", "id"))
            for r in batch:
                zone = existing.get(r.code) or Zone(code=r.code)
                zone.name = r.name
                zone.level = Level(r.level)
                zone.parent_id = parent_ids.get(r.parent_code) if r.parent_code else None
                zone.geom = GEOSGeometry(memoryview(r.wkb), srid=4326)
                zone.residents = r.residents
                zone.households = r.households
                if zone.pk:
                    updated += 1
                else:
                    created += 1
                zone.save()
        zones_measure_area(codes=codes)
    return created, updated


def zones_measure_area(*, codes: list[str] | None = None) -> None:
    """area_m2 from the stored geometry, in the metric CRS."""
    sql = f"UPDATE geodata_zone SET area_m2 = ST_Area(ST_Transform(geom, {METRIC_SRID}))"
    with connection.cursor() as cur:
        if codes is None:
            cur.execute(sql)
        else:  # codes name current zones; closed generations keep the area they were measured with
            cur.execute(sql + " WHERE code = ANY(%s) AND generation_high_id IS NULL", [list(codes)])


def zones_roll_up_population() -> None:
    """Residents and households of every zone with children = the sum over its children.

    Done level by level from the bottom, so a city that imports only its micro-grids gets
    consistent totals for villages, areas, towns and the district. Only the current generation:
    a closed generation keeps the figures it had.
    """
    with transaction.atomic(), connection.cursor() as cur:
        for level in range(Level.GRID - 1, Level.DISTRICT - 1, -1):
            cur.execute(
                """
                UPDATE geodata_zone p SET residents = s.residents, households = s.households
                FROM (SELECT parent_id, SUM(residents) AS residents, SUM(households) AS households
                      FROM geodata_zone WHERE level = %s AND generation_high_id IS NULL GROUP BY parent_id) s
                WHERE p.id = s.parent_id AND p.level = %s AND p.generation_high_id IS NULL
                """,
                [level + 1, level],
            )
        refcache.bump()  # written behind the ORM's signals: what processes keep of zones (locate) moves on


def centres_upsert(*, records: Iterable[CentreRecord]) -> tuple[int, int]:
    """Create or update command centres by code; returns (created, updated)."""
    created = updated = 0
    with transaction.atomic():
        for r in records:
            zone = Zone.objects.get(code=r.zone_code)
            # The zone is one-to-one: a centre that moved to another zone frees its old one first.
            CommandCentre.objects.filter(zone=zone).exclude(code=r.code).delete()
            _, was_created = CommandCentre.objects.update_or_create(
                code=r.code, defaults={"name": r.name, "zone": zone, "location": Point(r.lon, r.lat, srid=4326)}
            )
            created += was_created
            updated += not was_created
    return created, updated
