"""Reads of emergency response: who sees and hears an emergency, its board, situation and KPIs.

Audiences come from the incidents' jurisdiction table (`incidents.jurisdiction.ZONE_SCOPES`): an
emergency carries the audience of every zone (micro-grid, village, area, town) of the micro-grids
it touches, so an operator hears and lists exactly the emergencies an incident in those zones
would reach them by, and a grid worker those over their grids.
"""
from __future__ import annotations

import json
import statistics

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from geodata.models import CODE_LENGTH
from gridops.accounts.selectors import within_jurisdiction
from gridops.incidents.jurisdiction import DISTRICT, ZONE_SCOPES, role_grants

from . import rules
from .models import Emergency, Shelter, Status, Task, TaskStatus


def zone_audiences(grid_codes) -> list[str]:
    """The audiences of micro-grids and their ancestors (a zone's ancestors prefix its code)."""
    names = {f"{prefix}.{code[:CODE_LENGTH[level]]}" for code in grid_codes
             for level, (prefix, _field) in ZONE_SCOPES.items()}
    return sorted(names)


_CIRCLE_SQL = """SELECT ST_AsBinary(ST_Multi(ST_Transform(ST_Buffer(
    ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 4547), %s, 32), 4326)))"""


def circle(lon: float, lat: float, radius_m: float) -> MultiPolygon:
    """A circle of `radius_m` metres measured in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E), in
    EPSG:4326. PostGIS keeps its projection objects per connection; GDAL's transform through
    GEOS built them anew on every call (160 ms a declaration under load)."""
    with connection.cursor() as cursor:
        cursor.execute(_CIRCLE_SQL, (lon, lat, radius_m))
        return GEOSGeometry(memoryview(cursor.fetchone()[0]), srid=4326)


def emergencies_visible_to(user) -> QuerySet[Emergency]:
    """The district sees all; others the emergencies over their zones or grids, and their tasks."""
    if user is None or not user.is_authenticated:
        return Emergency.objects.none()
    names = [grant.audience for grant in role_grants(user)]
    if DISTRICT in names:
        return Emergency.objects.all()
    return Emergency.objects.filter(Q(audiences__overlap=names) | Q(tasks__worker=user)).distinct() if names \
        else Emergency.objects.filter(tasks__worker=user).distinct()


def tasks_in_reach_of(user) -> QuerySet[Task]:
    """A task is answered by its worker only (an operator cannot acknowledge for them)."""
    return Task.objects.filter(worker_id=user.pk) if user.is_authenticated else Task.objects.none()


def shelters_in_reach_of(user) -> QuerySet[Shelter]:
    return Shelter.objects.filter(within_jurisdiction(user, "grid_code"))


# --- rows -----------------------------------------------------------------------------------

def _iso(value):
    return value.isoformat() if value else None


def emergency_card(e: Emergency) -> dict:
    centre = e.area.point_on_surface
    return {
        "id": e.pk, "kind": e.kind, "kind_label": str(e.get_kind_display()), "title": e.title, "status": e.status,
        "area_source": e.area_source, "centre": [round(centre.x, 6), round(centre.y, 6)],
        "declared_at": _iso(e.declared_at), "ack_deadline": _iso(e.ack_deadline),
        "all_acknowledged_at": _iso(e.all_acknowledged_at), "escalation_level": e.escalation_level,
        "escalation_label": str(rules.ESCALATION_NAMES.get(e.escalation_level, "")), "closed_at": _iso(e.closed_at),
    }


def _name(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile and profile.display_name else "") or user.get_username()


def task_row(t: Task) -> dict:
    return {
        "id": t.pk, "emergency_id": t.emergency_id, "worker_id": t.worker_id, "worker": _name(t.worker),
        "status": t.status, "status_label": str(t.get_status_display()), "notified_at": _iso(t.notified_at),
        "acknowledged_at": _iso(t.acknowledged_at), "on_the_way_at": _iso(t.on_the_way_at),
        "arrived_at": _iso(t.arrived_at),
    }


def area_geojson(e: Emergency) -> dict:
    return json.loads(e.area.json)


def board(e: Emergency) -> dict:
    """Who has acknowledged, who is on the way or there, who is silent."""
    tasks = list(e.tasks.select_related("worker__profile").order_by("status", "worker__username"))
    counts = {status: 0 for status in TaskStatus.values}
    for task in tasks:
        counts[task.status] += 1
    return {"counts": counts, "silent": counts[TaskStatus.NOTIFIED], "tasks": [task_row(t) for t in tasks]}


def _seconds(start, end):
    return None if start is None or end is None else round((end - start).total_seconds(), 1)


def situation(e: Emergency) -> dict:
    """The command centre's summary: incidents inside, workers deployed, shelters' load."""
    from gridops.incidents.models import OPEN_STATUSES, Incident

    inside = Incident.objects.filter(point__intersects=e.area)
    incidents = inside.aggregate(open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
                                 since_declared=Count("pk", filter=Q(reported_at__gte=e.declared_at)))
    shelters = Shelter.objects.filter(location__intersects=e.area).aggregate(
        count=Count("pk"), capacity=Sum("capacity"), occupancy=Sum("occupancy"))
    capacity, occupancy = shelters["capacity"] or 0, shelters["occupancy"] or 0
    deployed = board(e)["counts"]
    return {
        "incidents": incidents,
        "workers": {"tasked": sum(deployed.values()), **deployed},
        "shelters": {"count": shelters["count"], "capacity": capacity, "occupancy": occupancy,
                     "load": round(occupancy / capacity, 3) if capacity else None},
        "time_to_all_acknowledged_s": _seconds(e.declared_at, e.all_acknowledged_at),
        "duration_s": _seconds(e.declared_at, e.closed_at or timezone.now()),
    }


def emergency_detail(e: Emergency) -> dict:
    return {**emergency_card(e), "area": area_geojson(e), "board": board(e), "situation": situation(e),
            "close_note": e.close_note}


def worker_open_tasks(user) -> list[dict]:
    """A worker's tasks in active emergencies, each with its emergency and area (the tablet's cards)."""
    tasks = tasks_in_reach_of(user).filter(emergency__status=Status.ACTIVE).select_related("emergency", "worker__profile")
    return [{**task_row(t), "emergency": {**emergency_card(t.emergency), "area": area_geojson(t.emergency)}}
            for t in tasks.order_by("-notified_at")]


def kpis(user, *, since=None, until=None) -> dict:
    """Emergency KPIs over the emergencies the user sees, declared in [since, until)."""
    qs = emergencies_visible_to(user)
    if since is not None:
        qs = qs.filter(declared_at__gte=since)
    if until is not None:
        qs = qs.filter(declared_at__lt=until)
    rows = list(qs.values_list("kind", "status", "declared_at", "all_acknowledged_at", "closed_at", "escalation_level"))
    to_ack = [_seconds(d, a) for _k, _s, d, a, _c, _l in rows if a]
    durations = [_seconds(d, c) for _k, _s, d, _a, c, _l in rows if c]
    answered = Task.objects.filter(emergency__in=qs, acknowledged_at__isnull=False).values_list("notified_at", "acknowledged_at")
    ack_each = [_seconds(n, a) for n, a in answered]
    by_kind: dict[str, int] = {}
    for kind, *_rest in rows:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return {
        "count": len(rows), "active": sum(1 for r in rows if r[1] == Status.ACTIVE), "by_kind": by_kind,
        "escalated": sum(1 for r in rows if r[5] > 0),
        "all_acknowledged": len(to_ack),
        "time_to_all_acknowledged_s": _summary(to_ack), "task_acknowledgement_s": _summary(ack_each),
        "duration_s": _summary(durations),
    }


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "median": None, "max": None}
    return {"n": len(values), "median": round(statistics.median(values), 1), "max": max(values)}


def shelter_row(s: Shelter) -> dict:
    return {"code": s.code, "name": s.name, "kind": s.kind, "kind_label": str(s.get_kind_display()),
            "capacity": s.capacity, "occupancy": s.occupancy, "lon": round(s.location.x, 6),
            "lat": round(s.location.y, 6), "load": round(s.occupancy / s.capacity, 3) if s.capacity else None}


def shelters_geojson(user) -> dict:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                 "properties": row} for row in map(shelter_row, shelters_in_reach_of(user))]
    return {"type": "FeatureCollection", "features": features}
