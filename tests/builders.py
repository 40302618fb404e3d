"""The one home of test data builders: a tiny inline district, and users of any role.

The district: two towns, each one area, one village and two grids.

    113.00        113.02        113.04
 23.02 +-------------+-------------+
       | 南庄 grid 2 | 祖庙 grid 2 |
 23.01 +-------------+-------------+
       | 南庄 grid 1 | 祖庙 grid 1 |
 23.00 +-------------+-------------+
"""
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from geodata.models import CommandCentre, Level, Zone
from gridops.accounts.models import Profile


def box(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


TOWNS = [
    # code, name, x0, x1
    ("440604101", "南庄镇", 113.00, 113.02),
    ("440604001", "祖庙街道", 113.02, 113.04),
]


def build_tiny_district() -> dict[str, Zone]:
    """Create the zones and command centres; returns them by code."""
    zones: dict[str, Zone] = {}
    district = Zone.objects.create(code="440604", name="禅城区", level=Level.DISTRICT,
                                   geom=box(113.00, 23.00, 113.04, 23.02), residents=4000, households=1600)
    zones[district.code] = district
    CommandCentre.objects.create(code="district", name="区指挥中心", zone=district, location=Point(113.02, 23.01, srid=4326))
    for town_code, town_name, x0, x1 in TOWNS:
        town = Zone.objects.create(code=town_code, name=town_name, level=Level.TOWN, parent=district,
                                   geom=box(x0, 23.00, x1, 23.02), residents=2000, households=800)
        area = Zone.objects.create(code=town_code + "01", name=f"{town_name}一片区", level=Level.AREA, parent=town,
                                   geom=box(x0, 23.00, x1, 23.02), residents=2000, households=800)
        village = Zone.objects.create(code=area.code + "001", name=f"{town_name}一社区", level=Level.VILLAGE,
                                      parent=area, geom=box(x0, 23.00, x1, 23.02), residents=2000, households=800)
        for seq, (y0, y1) in enumerate([(23.00, 23.01), (23.01, 23.02)], start=1):
            grid = Zone.objects.create(code=f"{village.code}{seq:03d}", name=f"{town_name}第{seq}网格",
                                       level=Level.GRID, parent=village, geom=box(x0, y0, x1, y1),
                                       residents=1000, households=400)
            zones[grid.code] = grid
        CommandCentre.objects.create(code=f"town-{town_code}", name=f"{town_name}分中心", zone=town,
                                     location=Point((x0 + x1) / 2, 23.01, srid=4326))
        zones.update({town.code: town, area.code: area, village.code: village})
    return zones


_serial = itertools.count(1)


def make_user(username: str | None = None, role: str | None = None, *, zone=None, department=None, grids=(),
              superuser: bool = False, staff: bool = False, permissions=(), **profile):
    """A user (password "pw-<username>", what the browser tests type) with a profile of `role`.

    No role: no profile (an administrator, or an account not yet given one). `permissions` are
    "app_label.codename" strings (the education planners' publish right); no username: a fresh one.
    Every test package builds its users here, so a rule about accounts changes in one place."""
    username = username or f"user{next(_serial)}"
    user = get_user_model().objects.create_user(username=username, password="pw-" + username,
                                                is_superuser=superuser, is_staff=staff)
    if role is not None:
        created = Profile.objects.create(user=user, role=role, zone=zone, department=department, **profile)
        created.grids.set(grids)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user
