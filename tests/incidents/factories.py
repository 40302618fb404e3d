"""factory_boy factories and a small world for the incident tests (over tests/builders.py)."""
import factory

from gridops.accounts.models import Department, Role
from gridops.incidents.catalogue import pinyin_keys
from gridops.incidents.models import Category, CategoryKind, EventType, Priority
from tests.builders import make_user

NANZHUANG, ZUMIAO = "440604101", "440604001"
NZ_GRID1, NZ_GRID2 = "44060410101001001", "44060410101001002"
ZM_GRID1 = "44060400101001001"
# Points inside the tiny district's grids (tests/builders.py).
NZ_POINT = (113.01, 23.005)      # 南庄 grid 1
NZ_POINT2 = (113.01, 23.015)     # 南庄 grid 2
ZM_POINT = (113.03, 23.005)      # 祖庙 grid 1
OUTSIDE = (113.5, 23.5)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"d{n:02d}")
    name = factory.LazyAttribute(lambda o: f"{o.code}局")
    short_name = factory.LazyAttribute(lambda o: o.code)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:02d}")
    name = factory.Sequence(lambda n: f"大类{n}")
    kind = CategoryKind.COMPONENT


class EventTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"事件{n}")
    category = factory.SubFactory(CategoryFactory)
    department = factory.SubFactory(DepartmentFactory)
    priority = Priority.NORMAL
    response_hours = 4
    resolution_hours = 72
    pinyin_full = factory.LazyAttribute(lambda o: pinyin_keys(o.name)[0])
    pinyin_initials = factory.LazyAttribute(lambda o: pinyin_keys(o.name)[1])


def build_world(zones) -> dict:
    """Departments, two types (an ordinary one and an emergency) and one user per role."""
    cg = DepartmentFactory(code="cg", name="城市管理和综合执法局", short_name="城管")
    sw = DepartmentFactory(code="sw", name="水务局", short_name="水务")
    yj = DepartmentFactory(code="yj", name="应急管理局", short_name="应急管理")
    city = CategoryFactory(code="01", name="市容环境", kind=CategoryKind.COMPONENT)
    safety = CategoryFactory(code="09", name="安全生产", kind=CategoryKind.EVENT)
    manhole = EventTypeFactory(code="0101001", name="井盖缺失", category=city, department=cg,
                               keywords="窨井;下水道", response_hours=2, resolution_hours=24)
    waterlog = EventTypeFactory(code="0101002", name="道路积水", category=city, department=sw, keywords="内涝")
    fire = EventTypeFactory(code="0901001", name="厂房火灾", category=safety, department=yj,
                            priority=Priority.URGENT, emergency=True, response_hours=0.5, resolution_hours=4)
    users = {
        "district_op": make_user("district_op", Role.DISTRICT_OPERATOR, zone=zones["440604"]),
        "nanzhuang_op": make_user("nanzhuang_op", Role.TOWN_OPERATOR, zone=zones[NANZHUANG]),
        "zumiao_op": make_user("zumiao_op", Role.TOWN_OPERATOR, zone=zones[ZUMIAO]),
        "cg_handler": make_user("cg_handler", Role.DEPARTMENT_HANDLER, department=cg),
        "sw_handler": make_user("sw_handler", Role.DEPARTMENT_HANDLER, department=sw),
        "nz_worker": make_user("nz_worker", Role.GRID_WORKER, zone=zones[NANZHUANG], grids=[zones[NZ_GRID1]]),
        "zm_worker": make_user("zm_worker", Role.GRID_WORKER, zone=zones[ZUMIAO], grids=[zones[ZM_GRID1]]),
        "citizen": make_user("citizen", Role.CITIZEN),
        "citizen2": make_user("citizen2", Role.CITIZEN),
        "planner": make_user("planner", Role.PLANNER, zone=zones["440604"]),
        "admin": make_user("admin", None, superuser=True),
    }
    return {"zones": zones, "users": users, "departments": {"cg": cg, "sw": sw, "yj": yj},
            "types": {"manhole": manhole, "waterlog": waterlog, "fire": fire},
            "categories": {"city": city, "safety": safety}}
