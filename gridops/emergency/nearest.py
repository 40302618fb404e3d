"""The k nearest available grid workers to a place, by travel along the roads (a read).

Available: a grid worker whose latest position (the one the requester may see, `positions_latest`)
is newer than the on-duty window and who is not already on the way to, or at, an active
emergency. Their distance is what they would travel *to* the place, so one pgRouting search
over the reversed graph from the place answers all of them (`geodata.roads.nearest_rows`, which
reads the available workers nearest-first from their SQL and stops as soon as no one farther can
be nearer by road); only the k chosen get their route drawn. A place and a worker join the graph
at the nearest point of the nearest street; the straight gaps are part of the figure.
"""
from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.db.models import FloatField, Func
from django.db.models.expressions import RawSQL

from geodata import roads
from geodata.models import Zone
from gridops.core.errors import ServiceUnavailable
from gridops.incidents.selectors import positions_latest

from . import conf
from .models import Emergency, Status, Task, TaskStatus

BUSY = (TaskStatus.ON_THE_WAY, TaskStatus.ARRIVED)


class _Lon(Func):
    function, output_field = "ST_X", FloatField()


class _Lat(Func):
    function, output_field = "ST_Y", FloatField()


# The latest positions (`{latest}`: lon, lat, recorded_at, grid_id per user) of active workers
# not on the way to, or at, an active emergency (parameters: that status, the busy task statuses).
_FREE_SQL = """
SELECT l.user_id AS key, l.lon, l.lat, u.username, l.recorded_at,
       (SELECT code FROM {zone} WHERE id = l.grid_id) AS grid_code
FROM ({{latest}}) AS l(user_id, lon, lat, recorded_at, grid_id)
JOIN {user} u ON u.id = l.user_id AND u.is_active
WHERE NOT EXISTS (SELECT 1 FROM {task} t JOIN {emergency} e ON e.id = t.emergency_id
                  WHERE t.worker_id = l.user_id AND e.status = %s AND t.status IN ({busy}))
"""


@functools.cache
def _free_sql() -> str:
    return _FREE_SQL.format(zone=Zone._meta.db_table, user=get_user_model()._meta.db_table, task=Task._meta.db_table,
                            emergency=Emergency._meta.db_table, busy=", ".join(["%s"] * len(BUSY)))


def available_sql(user) -> tuple[str, list]:
    """SQL (and its parameters) of the latest on-duty position of each worker the user may see who
    is free to be sent: columns key (user id), lon, lat, username, recorded_at, grid_code.

    SQL rather than rows, so `roads.nearest_rows` reads only the nearest of them (its first page,
    in one query with their streets); the grid's code is looked up for those rows only. Which
    positions the user may see stays with `positions_latest`; the rest is plain SQL because
    building it with the ORM cost 2.2 ms of CPU per question against 0.6 ms for the positions
    alone. Coordinates as numbers: the ORM reads a geometry column as bytes (for GEOS), which
    PostGIS would parse back for each of the 921 rows. The on-duty window is counted from the
    database's clock and every parameter is a plain number or text, so the statement can be
    prepared once per session (planning it cost more than running it)."""
    since = RawSQL("now() - %s * interval '1 minute'", [float(conf.on_duty_minutes())])
    latest, params = (positions_latest(user, since=since)
                      .values_list("user_id", _Lon("point"), _Lat("point"), "recorded_at", "grid_id").query.sql_with_params())
    return _free_sql().replace("{latest}", latest), [*params, Status.ACTIVE.value, *(status.value for status in BUSY)]


def nearest_workers(user, lon: float, lat: float, k: int) -> dict:
    """{"workers": [...the k nearest by road, each with road_m and its route as GeoJSON...]}."""
    found = roads.nearest_rows((lon, lat), *available_sql(user), k)
    if found is None:
        raise ServiceUnavailable("no road graph is loaded (manage.py import_roads)", field="roads")
    here, chosen, available = found
    return {
        "point": {"lon": lon, "lat": lat, "edge": here.edge, "fraction": round(here.fraction, 6),
                  "gap_m": round(here.gap_m, 1)},
        "available": available,
        "workers": [_row(n) for n in chosen],
    }


def _row(found) -> dict:
    user_id, lon, lat, username, recorded_at, grid_code = found.row
    return {
        "user_id": user_id, "username": username, "lon": round(lon, 6), "lat": round(lat, 6),
        "recorded_at": recorded_at.isoformat(), "grid_code": grid_code,
        "road_m": round(found.metres, 1), "edge": found.anchor.edge, "fraction": round(found.anchor.fraction, 6),
        "gap_m": round(found.anchor.gap_m, 1), "route": found.route,
    }
