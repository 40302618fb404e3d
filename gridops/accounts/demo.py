"""Demo step: one account per role, all with the password `gridops-demo` (development only).

Runs after the zones and the catalogue steps; it is idempotent (existing users are updated in
place) and skips what cannot be attached yet (a missing town, department or permission) with a
log line rather than failing `make run`.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q

from geodata.models import Level, Zone

from .models import Department, Profile, Role

DEMO_PASSWORD = "gridops-demo"
DISTRICT = "440604"
NANZHUANG = "440604101"
PLANNER_PERMISSIONS = ["education.publish_catchmentplan"]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    zone_code: str | None = None
    department: str | None = None  # matched against a department's short name or name


ACCOUNTS = [
    DemoAccount("district_op", Role.DISTRICT_OPERATOR, "区指挥中心值班员", DISTRICT),
    DemoAccount("zumiao_op", Role.TOWN_OPERATOR, "祖庙街道分中心值班员", "440604001"),
    DemoAccount("shiwan_op", Role.TOWN_OPERATOR, "石湾镇街道分中心值班员", "440604002"),
    DemoAccount("zhangcha_op", Role.TOWN_OPERATOR, "张槎街道分中心值班员", "440604003"),
    DemoAccount("nanzhuang_op", Role.TOWN_OPERATOR, "南庄镇分中心值班员", NANZHUANG),
    DemoAccount("chengguan_handler", Role.DEPARTMENT_HANDLER, "城管处置员", department="城管"),
    DemoAccount("grid_worker", Role.GRID_WORKER, "南庄镇网格员", NANZHUANG),
    DemoAccount("planner", Role.PLANNER, "教育规划员", DISTRICT),
    DemoAccount("clerk", Role.COUNTER_CLERK, "行政服务中心窗口人员", DISTRICT),
    DemoAccount("reviewer", Role.REVIEWER, "审批人员", DISTRICT),
    DemoAccount("justice_officer", Role.JUSTICE_OFFICER, "司法所矫正干部", DISTRICT),
    DemoAccount("citizen", Role.CITIZEN, "市民张三"),
    # Wall displays (指挥大屏): view only, at /screen/.
    DemoAccount("screen", Role.SCREEN, "区指挥中心大屏", DISTRICT),
    DemoAccount("nanzhuang_screen", Role.SCREEN, "南庄镇分中心大屏", NANZHUANG),
]
GRID_WORKER_GRIDS = 4


def find_department(hint: str) -> Department | None:
    return (Department.objects.filter(short_name=hint).first()
            or Department.objects.filter(Q(name__contains=hint) | Q(short_name__contains=hint)).order_by("code").first())


def _permissions(names: list[str]) -> list[Permission]:
    found = []
    for dotted in names:
        app_label, codename = dotted.split(".", 1)
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is not None:
            found.append(perm)
    return found


def ensure_account(spec: DemoAccount, log) -> Profile:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=spec.username)
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save()
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.role = spec.role
    profile.display_name = spec.display_name
    if spec.zone_code:
        profile.zone = Zone.objects.defer("geom").filter(code=spec.zone_code).first()
        if profile.zone is None:
            log(f"accounts: zone {spec.zone_code} missing, {spec.username} has no jurisdiction yet")
    if spec.department:
        profile.department = find_department(spec.department)
        if profile.department is None:
            log(f"accounts: department {spec.department} missing, {spec.username} has none yet")
    profile.save()
    return profile


@transaction.atomic
def load_demo_accounts(log) -> None:
    profiles = {spec.username: ensure_account(spec, log) for spec in ACCOUNTS}
    worker = profiles["grid_worker"]
    if not worker.grids.exists():
        grids = list(Zone.objects.defer("geom").filter(level=Level.GRID, code__startswith=NANZHUANG)
                     .order_by("code")[:GRID_WORKER_GRIDS])
        worker.grids.set(grids)
    planner = profiles["planner"].user
    perms = _permissions(PLANNER_PERMISSIONS)
    if perms:
        planner.user_permissions.add(*perms)
    log(f"accounts: {len(profiles)} demo accounts (password {DEMO_PASSWORD!r}, development only); "
        f"grid_worker has {worker.grids.count()} micro-grids; planner permissions {len(perms)}")
