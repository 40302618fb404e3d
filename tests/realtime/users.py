"""Users of each role over the tiny district (tests/builders.py), for the realtime tests."""
from django.contrib.auth import get_user_model

from gridops.accounts.models import Department, Profile, Role
from tests.builders import build_tiny_district

NANZHUANG, ZUMIAO = "440604101", "440604001"
ZUMIAO_GRID = "44060400101001001"
NANZHUANG_GRID = "44060410101001001"


def make_user(username: str, role: str | None, *, zone=None, department=None, grids=(), superuser=False):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, is_superuser=superuser)
    if role is not None:
        profile = Profile.objects.create(user=user, role=role, zone=zone, department=department)
        profile.grids.set(grids)
    return user


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
