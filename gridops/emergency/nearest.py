"""The k nearest available grid workers to a place, by travel along the roads (a read).

Available: a grid worker whose latest position (the one the requester may see, `positions_latest`)
is newer than the on-duty window and who is not already on the way to, or at, an active
emergency. Their distance is what they would travel *to* the place, so one pgRouting search
over the reversed graph from the place answers all of them (`geodata.roads.distances_to`);
only the k chosen get their route drawn (`routes_to`). A place and a worker join the graph at
the nearest point of the nearest street (`roads.anchor`); the straight gaps are part of the figure.
"""
from __future__ import annotations

from datetime import timedelta

from django.db.models import FloatField, Func
from django.utils import timezone

from geodata import roads
from gridops.core.errors import ServiceUnavailable
from gridops.incidents.selectors import positions_latest

from . import conf
from .models import Status, Task, TaskStatus

BUSY = (TaskStatus.ON_THE_WAY, TaskStatus.ARRIVED)


class _Lon(Func):
    function, output_field = "ST_X", FloatField()


class _Lat(Func):
    function, output_field = "ST_Y", FloatField()


def available_positions(user) -> list[tuple]:
    """(user id, username, lon, lat, recorded_at, grid code) of the latest on-duty position of each
    worker the user may see who is free to be sent (rows, not models: 921 of them per question)."""
    cutoff = timezone.now() - timedelta(minutes=conf.on_duty_minutes())
    busy = Task.objects.filter(emergency__status=Status.ACTIVE, status__in=BUSY).values("worker_id")
    # Coordinates as numbers from PostGIS: building 921 GEOS points cost ~100 ms under load.
    return list(positions_latest(user, since=cutoff).filter(user__is_active=True).exclude(user_id__in=busy)
                .values_list("user_id", "user__username", _Lon("point"), _Lat("point"), "recorded_at", "grid__code"))


def nearest_workers(user, lon: float, lat: float, k: int) -> dict:
    """{"workers": [...the k nearest by road, each with road_m and its route as GeoJSON...]}."""
    positions = available_positions(user)
    found = roads.nearest_to((lon, lat), [(p[2], p[3]) for p in positions], k)
    if found is None:
        raise ServiceUnavailable("no road graph is loaded (manage.py import_roads)", field="roads")
    here, chosen = found
    longest = max((n.metres for n in chosen), default=None)
    routes = roads.routes_to(here, [n.anchor for n in chosen], centre=(lon, lat), radius_m=longest)
    return {
        "point": {"lon": lon, "lat": lat, "edge": here.edge, "fraction": round(here.fraction, 6),
                  "gap_m": round(here.gap_m, 1)},
        "available": len(positions),
        "workers": [_row(n, positions[n.index], route) for n, route in zip(chosen, routes)],
    }


def _row(found, position, route) -> dict:
    user_id, username, lon, lat, recorded_at, grid_code = position
    return {
        "user_id": user_id, "username": username, "lon": round(lon, 6), "lat": round(lat, 6),
        "recorded_at": recorded_at.isoformat(), "grid_code": grid_code,
        "road_m": round(found.metres, 1), "edge": found.anchor.edge, "fraction": round(found.anchor.fraction, 6),
        "gap_m": round(found.anchor.gap_m, 1), "route": route["geometry"] if route else None,
    }
