"""A small district with something in every panel of the screen: incidents today and over the
last month in both towns, a year of approval cases at each town's hall, a published catchment
plan with a school in each town, a signed ledger head; screen accounts for the district and 南庄.
"""
from __future__ import annotations

from datetime import timedelta

from django.contrib.gis.geos import Point
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.incidents.models import Incident, Source, Status
from gridops.incidents.services.intake import incident_report
from tests.builders import build_tiny_district, make_user
from tests.incidents.factories import NANZHUANG, NZ_POINT, NZ_POINT2, ZM_POINT, ZUMIAO, build_world

BASE_YEAR = 2025
GRIDS = {NANZHUANG: ["44060410101001001", "44060410101001002"], ZUMIAO: ["44060400101001001", "44060400101001002"]}


def incident(world, point, type_key, *, days_ago=0, status=Status.REPORTED, dispatched=False, resolved=False):
    now = timezone.now()
    # Five minutes ago, or less in the first minutes after local midnight: "today" must stay today
    # (a run at 00:01 Asia/Shanghai put today's incidents on yesterday).
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    step = min(timedelta(minutes=5), (now - midnight) / 2) / 5
    reported = now - timedelta(days=days_ago) - 5 * step
    item, _ = incident_report(reporter=None, lon=point[0], lat=point[1], event_type=world["types"][type_key],
                              source=Source.HOTLINE, reported_at=reported)
    fields = {"status": status}
    if dispatched or resolved:
        fields["dispatched_at"] = reported + 2 * step
    if resolved:
        fields["resolved_at"] = reported + 4 * step
    Incident.objects.filter(pk=item.pk).update(**fields)
    return item


def _incidents(world) -> None:
    for days_ago in (0, 0, 3, 10, 29):
        incident(world, NZ_POINT, "manhole", days_ago=days_ago, status=Status.DISPATCHED, dispatched=True)
    incident(world, NZ_POINT2, "waterlog", status=Status.CLOSED, resolved=True)
    incident(world, NZ_POINT2, "waterlog", days_ago=40, status=Status.RESOLVED, resolved=True)
    incident(world, NZ_POINT, "manhole", days_ago=2, status=Status.VOID)
    incident(world, ZM_POINT, "waterlog", status=Status.CLOSED, resolved=True)
    incident(world, ZM_POINT, "manhole", days_ago=1, status=Status.IN_PROGRESS, dispatched=True)
    incident(world, ZM_POINT, "fire", days_ago=5, status=Status.VERIFIED, resolved=True)


def _seats(zones) -> None:
    from gridops.education.models import CatchmentMember, CatchmentPlan, GridChildren, PlanStatus, School, SchoolGrade

    GridChildren.objects.bulk_create(
        GridChildren(zone=zones[code], base_year=BASE_YEAR, age=age, hukou=hukou, count=10 if hukou else 5)
        for grids in GRIDS.values() for code in grids for age in range(15) for hukou in (True, False))
    plan = CatchmentPlan.objects.create(name="2025年招生范围", school_year=BASE_YEAR, status=PlanStatus.PUBLISHED,
                                        published_at=timezone.now())
    for town, code, level, seats in [(NANZHUANG, "P-NZ", "primary", 20), (ZUMIAO, "P-ZM", "primary", 40),
                                     (ZUMIAO, "J-ZM", "junior", 60)]:
        grid = zones[GRIDS[town][0]]
        centre = grid.geom.point_on_surface
        school = School.objects.create(code=code, name=f"{code}学校", level=level, zone=grid,
                                       location=Point(centre.x, centre.y, srid=4326))
        grades = range(1, 7) if level == "primary" else range(7, 10)
        SchoolGrade.objects.bulk_create(SchoolGrade(school=school, grade=g, classes=1, seats=seats, enrolled=seats,
                                                    enrolled_hukou=seats // 2) for g in grades)
        served = [GRIDS[town]] if level == "primary" else list(GRIDS.values())
        for codes in served:
            for grid_code in codes:
                CatchmentMember.objects.create(plan=plan, school=school, zone=zones[grid_code])


def _approvals(zones) -> None:
    from gridops.approvals.history import HistoryRequest, generate_history
    from gridops.approvals.models import HallKind
    from tests.approvals import factories as f

    shichang = f.department("shichang", "区市场监督管理局")
    f.item("shichang001", "食品经营许可证核发", shichang, ["id_card"])
    f.item("shichang002", "个体工商户登记", shichang, ["id_card"], on_the_spot=True)
    f.hall_at(zones[NANZHUANG], "H440604101")
    f.hall_at(zones[ZUMIAO], "H440604001")
    f.hall_at(zones["440604"], "H440604", kind=HallKind.DISTRICT_CENTRE)
    generate_history(HistoryRequest(cases=600, years=1.0, seed=19), log=lambda line: None)


def _ledger() -> None:
    from gridops.ledger import records
    from gridops.ledger.services import log as ledger_log

    ledger_log.append_record("notary", records.notary_record("ab" * 32, "合同"))
    ledger_log.append_record("notary", records.notary_record("cd" * 32, "协议"))
    ledger_log.sign_head()


def build_screen_world() -> dict:
    zones = build_tiny_district()
    world = build_world(zones)
    world["users"]["screen"] = make_user("screen", Role.SCREEN, zone=zones["440604"])
    world["users"]["nz_screen"] = make_user("nz_screen", Role.SCREEN, zone=zones[NANZHUANG])
    _incidents(world)
    _seats(zones)
    _approvals(zones)
    _ledger()
    return world
