"""A small inline district for the education tests, with exact children counts.

    113.00      113.01      113.02      113.03      113.04
 23.02 +-----------+-----------+-----------+-----------+
       | 南庄 D g7 | 南庄 D g8 | 祖庙 B g3 | 祖庙 B g4 |
 23.01 +-----------+-----------+-----------+-----------+
       | 南庄 C g5 | 南庄 C g6 | 祖庙 A g1 | 祖庙 A g2 |
 23.00 +-----------+-----------+-----------+-----------+

Every grid has 1,000 residents and, at every age 0-14, 10 hukou and 5 non-hukou children, so
a grid holds 90 primary-age (6-11) and 45 junior-age (12-14) children.

Published plan: P1 = village A + g3; P2 = g3 + g4 (g3 shared equally); P3 = villages C, D;
J1 = every village. Seats per grade: P1 30, P2 40, P3 50, J1 100.
"""
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from geodata.models import Level, Zone
from gridops.accounts.models import Role
from gridops.education.models import (CatchmentMember, CatchmentPlan, GridChildren, PlanStatus, School, SchoolGrade)
from tests.builders import make_user

BASE_YEAR = 2025


def box(x0, y0, x1, y1):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


def _zone(code, name, level, parent, geom, residents=0):
    return Zone.objects.create(code=code, name=name, level=level, parent=parent, geom=geom, residents=residents)


@pytest.fixture
def edu(db, settings):
    settings.GRIDOPS_EDUCATION_BASE_YEAR = BASE_YEAR
    settings.GRIDOPS_EDUCATION_MIGRATION = {"hukou": 0.0, "non_hukou": 0.0, "towns": {}}
    z = {}
    district = _zone("440604", "禅城区", Level.DISTRICT, None, box(113.00, 23.00, 113.04, 23.02), 8000)
    layout = {"440604101": ("南庄镇", 113.00, [("C", 23.00, ("g5", "g6")), ("D", 23.01, ("g7", "g8"))]),
              "440604001": ("祖庙街道", 113.02, [("A", 23.00, ("g1", "g2")), ("B", 23.01, ("g3", "g4"))])}
    for town_code, (town_name, x0, villages) in layout.items():
        town = _zone(town_code, town_name, Level.TOWN, district, box(x0, 23.00, x0 + 0.02, 23.02), 4000)
        area = _zone(town_code + "01", "片区", Level.AREA, town, box(x0, 23.00, x0 + 0.02, 23.02), 4000)
        for seq, (key, y0, grids) in enumerate(villages, start=1):
            village = _zone(f"{area.code}{seq:03d}", f"{key}社区", Level.VILLAGE, area, box(x0, y0, x0 + 0.02, y0 + 0.01), 2000)
            z[key] = village
            for gseq, gkey in enumerate(grids, start=1):
                gx = x0 + (gseq - 1) * 0.01
                z[gkey] = _zone(f"{village.code}{gseq:03d}", f"{key}第{gseq}网格", Level.GRID, village, box(gx, y0, gx + 0.01, y0 + 0.01), 1000)
    GridChildren.objects.bulk_create(
        GridChildren(zone=z[g], base_year=BASE_YEAR, age=age, hukou=h, count=10 if h else 5)
        for g in ("g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8") for age in range(15) for h in (True, False)
    )
    schools = {}
    for code, name, level, grid, seats in [("P1", "佛山市禅城区祖庙第一小学", "primary", "g1", 30),
                                           ("P2", "佛山市禅城区祖庙第二小学", "primary", "g4", 40),
                                           ("P3", "佛山市禅城区南庄第一小学", "primary", "g5", 50),
                                           ("J1", "佛山市禅城区第一初级中学", "junior", "g2", 100)]:
        centre = z[grid].geom.point_on_surface
        school = School.objects.create(code=code, name=name, level=level, location=Point(centre.x, centre.y, srid=4326), zone=z[grid])
        grades = range(1, 7) if level == "primary" else range(7, 10)
        SchoolGrade.objects.bulk_create(SchoolGrade(school=school, grade=g, classes=1, seats=seats, enrolled=seats, enrolled_hukou=seats // 2) for g in grades)
        schools[code] = school
    plan = CatchmentPlan.objects.create(name="2025年招生范围", school_year=2025, status=PlanStatus.PUBLISHED, published_at=timezone.now())
    for school, zone in [("P1", "A"), ("P1", "g3"), ("P2", "g3"), ("P2", "g4"), ("P3", "C"), ("P3", "D"),
                         ("J1", "A"), ("J1", "B"), ("J1", "C"), ("J1", "D")]:
        CatchmentMember.objects.create(plan=plan, school=schools[school], zone=z[zone])
    return {"zones": z, "schools": schools, "plan": plan}


PUBLISH = ["education.publish_catchmentplan"]  # the head planner's right (make_user's permissions)


@pytest.fixture
def planner(db):
    return make_user("planner", Role.PLANNER)


@pytest.fixture
def publisher(db):
    return make_user("head", Role.PLANNER, permissions=PUBLISH)


@pytest.fixture
def planner_client(client, planner):
    client.force_login(planner)
    return client
