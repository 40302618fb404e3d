"""Reads for foresight: the micro-grids as a frame, weekly counts per grid, warnings in reach.

Weeks are Monday-to-Sunday in Asia/Shanghai (the district's calendar), and only complete weeks
are analysed: the week that contains `until` is the one forecast. Merged duplicates count once
(the incident they were merged into), as in every KPI.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import shapely
from django.db import connection
from django.contrib.gis.db.models.functions import SnapToGrid
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from geodata.models import Level, Zone
from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.incidents import jurisdiction

from .models import EarlyWarning

LOCAL = ZoneInfo("Asia/Shanghai")


ANALYST_ROLES = frozenset({Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR, Role.SCREEN})


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def current_week(until: date | None = None) -> date:
    """Monday of the week containing `until` (today in Shanghai by default): the week forecast."""
    return week_start(until or timezone.now().astimezone(LOCAL).date())


@dataclass(frozen=True)
class GridFrame:
    """The micro-grids in a fixed order (by id): rows of every matrix here follow it."""

    frame: gpd.GeoDataFrame  # columns id, code, name, village_id, area_id, town_id, geometry

    @property
    def ids(self) -> np.ndarray:
        return self.frame["id"].to_numpy()

    def __len__(self) -> int:
        return len(self.frame)


def grid_frame() -> GridFrame:
    """Every micro-grid with its zone chain (village, area, town) and boundary."""
    parents = dict(Zone.objects.exclude(level=Level.GRID).values_list("pk", "parent_id"))
    rows = list(Zone.objects.filter(level=Level.GRID).order_by("pk")
                .values_list("pk", "code", "name", "parent_id", "geom"))
    village = [row[3] for row in rows]
    area = [parents.get(pk) for pk in village]
    town = [parents.get(pk) for pk in area]
    geoms = shapely.from_wkb([bytes(row[4].wkb) for row in rows]) if rows else []
    frame = gpd.GeoDataFrame({"id": [row[0] for row in rows], "code": [row[1] for row in rows],
                              "name": [row[2] for row in rows], "village_id": village, "area_id": area,
                              "town_id": town}, geometry=list(geoms), crs="EPSG:4326")
    return GridFrame(frame)


def latest_incident_id() -> int:
    """The newest incident's id: part of a cached forecast's key, so new history is a new forecast."""
    from gridops.incidents.models import Incident

    return Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL)


def weekly_counts(grids: GridFrame, *, end_week: date, weeks: int, category_id: int | None = None) -> np.ndarray:
    """Incidents reported per grid (rows, in `grids` order) and week (columns, oldest first) for
    the `weeks` complete weeks before `end_week` (a Monday)."""
    first = end_week - timedelta(weeks=weeks)
    sql = """
        SELECT grid_id, (date_trunc('week', reported_at AT TIME ZONE 'Asia/Shanghai'))::date AS week, count(*)
        FROM incidents_incident
        WHERE reported_at >= %s AND reported_at < %s AND grid_id IS NOT NULL AND merged_into_id IS NULL
              {category}
        GROUP BY 1, 2"""
    params = [_local_midnight(first), _local_midnight(end_week)]
    if category_id is not None:
        params.append(category_id)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(category="AND category_id = %s" if category_id is not None else ""), params)
        found = cursor.fetchall()
    matrix = np.zeros((len(grids), weeks), dtype=float)
    row_of = {pk: index for index, pk in enumerate(grids.ids.tolist())}
    for grid_id, week, count in found:
        row = row_of.get(grid_id)
        if row is not None:
            matrix[row, (week - first).days // 7] = count
    return matrix


# --- who sees which warnings -------------------------------------------------------------------

def _centre_grants(user) -> list[jurisdiction.Grant]:
    """Warnings are for the centres that own the ground: every zone grant (the district, a
    town/area/village/grid operator or screen, a grid worker's grids), not departments or
    citizens' own reports."""
    return [grant for grant in jurisdiction.role_grants(user) if not grant.audience.startswith("dept.")]


def warnings_visible_to(user) -> QuerySet[EarlyWarning]:
    grants = _centre_grants(user)
    if not grants:
        return EarlyWarning.objects.none()
    condition = Q()
    for index, grant in enumerate(grants):
        if not grant.condition:
            return EarlyWarning.objects.all()
        condition = grant.condition if index == 0 else condition | grant.condition
    return EarlyWarning.objects.filter(condition)


def may_use_foresight(user) -> bool:
    """Hot spots, forecasts and the heat map are analysis for command centres: district and town
    operators and their wall screens (and superusers), each over their own ground."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or role_of(user) in ANALYST_ROLES


def visible_grid_mask(user, grids: GridFrame) -> np.ndarray:
    """Which rows of `grids` lie in the user's ground (the same grants as their incident lists)."""
    visible = grid_zone_filter(user)
    if visible is None:
        return np.ones(len(grids), dtype=bool)
    ids = set(Zone.objects.filter(level=Level.GRID).filter(visible).values_list("pk", flat=True))
    return np.isin(grids.ids, list(ids))


def grid_zone_filter(user) -> Q | None:
    """The user's zone grants as a filter on micro-grid zones (None: the whole district)."""
    condition = None
    for grant in _centre_grants(user):
        if not grant.condition:
            return None
        (field, value), = grant.condition.children
        zone_q = _GRID_ZONE_FIELDS[field](value)
        condition = zone_q if condition is None else condition | zone_q
    return condition if condition is not None else Q(pk__in=[])


# incident field of a grant → the same ground as a filter on micro-grid zones
_GRID_ZONE_FIELDS = {
    "grid_id": lambda pk: Q(pk=pk),
    "village_id": lambda pk: Q(parent_id=pk),
    "area_id": lambda pk: Q(parent__parent_id=pk),
    "town_id": lambda pk: Q(parent__parent__parent_id=pk),
}


def heat_cells(incidents: QuerySet, *, cell_degrees: float = 0.001) -> list[list[float]]:
    """[lat, lon, count] per ~100 m cell of `incidents` (already scoped and filtered): aggregated
    in the database, so a year of the district is a few thousand cells, not rows."""
    cells = (incidents.filter(merged_into__isnull=True).annotate(cell=SnapToGrid("point", cell_degrees))
             .values("cell").annotate(n=Count("id")).order_by())
    return [[round(row["cell"].y, 6), round(row["cell"].x, 6), row["n"]] for row in cells]
