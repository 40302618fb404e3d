"""Users of each role over the tiny district (tests/builders.py), for the realtime tests."""
from gridops.accounts.models import Department, Role
from tests.builders import build_tiny_district, make_user

NANZHUANG, ZUMIAO = "440604101", "440604001"
ZUMIAO_GRID = "44060400101001001"
NANZHUANG_GRID = "44060410101001001"


def build_people() -> dict:
    """The district with one user per role that matters to the realtime audiences."""
    zones = build_tiny_district()
    cg = Department.objects.create(code="cg", name="城管局", short_name="城管")
    Department.objects.create(code="sw", name="水务局", short_name="水务")
    users = {
        "district": make_user("district", Role.DISTRICT_OPERATOR, zone=zones["440604"]),
        "nanzhuang": make_user("nanzhuang", Role.TOWN_OPERATOR, zone=zones[NANZHUANG]),
        "zumiao": make_user("zumiao", Role.TOWN_OPERATOR, zone=zones[ZUMIAO]),
        "dept_cg": make_user("dept_cg", Role.DEPARTMENT_HANDLER, department=cg),
        "dept_sw": make_user("dept_sw", Role.DEPARTMENT_HANDLER, department=Department.objects.get(code="sw")),
        "worker_zm": make_user("worker_zm", Role.GRID_WORKER, grids=[zones[ZUMIAO_GRID]]),
        "worker_nz": make_user("worker_nz", Role.GRID_WORKER, grids=[zones[NANZHUANG_GRID]]),
        "justice": make_user("justice", Role.JUSTICE_OFFICER),
        "citizen": make_user("citizen", Role.CITIZEN),
        "admin": make_user("admin", None, superuser=True),
    }
    return {"zones": zones, "users": users}


def catalogue():
    """One category and event type (城管, 井盖缺失) for incidents in tests."""
    from gridops.incidents.models import Category, CategoryKind, EventType

    category, _ = Category.objects.get_or_create(code="01", defaults={"name": "市容环境", "kind": CategoryKind.COMPONENT})
    event_type, _ = EventType.objects.get_or_create(
        code="0101001", defaults={"name": "井盖缺失", "category": category, "response_hours": 2,
                                  "resolution_hours": 24, "department": Department.objects.get(code="cg"),
                                  "pinyin_initials": "jgqs", "pinyin_full": "jinggaiquesh"})
    return event_type


def make_incident(zones, grid_code: str, *, status="dispatched", overdue=False, lon=None, lat=None, **extra):
    """An incident located in a micro-grid of the tiny district (chain filled like intake does)."""
    from datetime import timedelta

    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from gridops.incidents.models import Incident

    event_type = catalogue()
    grid = zones[grid_code]
    village = zones[grid_code[:14]]
    centre = grid.geom.centroid
    now = timezone.now()
    deadline = now - timedelta(hours=1) if overdue else now + timedelta(hours=24)
    return Incident.objects.create(
        point=Point(lon if lon is not None else centre.x, lat if lat is not None else centre.y, srid=4326),
        town=zones[grid_code[:9]], area=zones[grid_code[:11]], village=village, grid=grid,
        event_type=event_type, category=event_type.category, priority=event_type.priority,
        source="grid_worker", status=status, department=event_type.department,
        reported_at=now - timedelta(hours=2), response_deadline=deadline, resolution_deadline=deadline, **extra)


def signed_in(user):
    """A Django test client with `user`'s session."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
