"""Demo step: food vendors at a few markets, two persons under supervision with geofences and
check-ins (one outside, one breaking curfew), notarisations and an identity attestation.

Idempotent: skipped when vendors exist. Runs after the accounts step (it uses their users).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, time
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from geodata.models import Level, Zone
from gridops.accounts.models import Profile, Role

from gridops.core.resident_id import resident_id_valid

from .services import corrections, identity, notary, vendors
from .services import log as ledger_log
from .models import SupervisedPerson, Vendor

TOWNS = {"zumiao": "440604001", "shiwan": "440604002", "zhangcha": "440604003", "nanzhuang": "440604101"}
VENDORS = [
    ("陈姨蔬菜档", "JY14406040010001", "祖庙市场", "A-03", "蔬菜", "zumiao", 0),
    ("黄记鲜鱼", "JY14406040010002", "祖庙市场", "B-11", "水产", "zumiao", 1),
    ("石湾肉菜档", "JY14406040020003", "石湾市场", "C-07", "猪肉", "shiwan", 0),
    ("梁婆豆腐", "JY14406040030004", "张槎市场", "A-15", "豆制品", "zhangcha", 0),
    ("南庄农家蛋", "JY14406041010005", "南庄市场", "D-02", "禽蛋", "nanzhuang", 0),
    ("何姐水果", "JY14406041010006", "南庄市场", "D-09", "水果", "nanzhuang", 1),
]
# A syntactically valid (checksummed) but fictitious resident ID for the demo citizen.
DEMO_ID_NUMBER = "44060419900101123X"


def _grid_point(town_code: str, nth: int = 0):
    grids = Zone.objects.filter(level=Level.GRID, code__startswith=town_code).order_by("code")
    grid = grids[nth * 7 % max(grids.count(), 1)] if grids.exists() else Zone.objects.get(code=town_code)
    return grid.geom.point_on_surface


def _user(username: str):
    return get_user_model().objects.filter(username=username).first()


def _supervised_account(username: str):
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user, role=Role.CITIZEN, display_name="社区矫正对象")
    return user


def load_demo_ledger(log) -> None:
    if Vendor.objects.exists() or SupervisedPerson.objects.exists():
        log("ledger: demo already loaded")
        return
    operator, officer = _user("district_op"), _user("justice_officer")
    clerk, citizen = _user("clerk"), _user("citizen")
    if not (operator and officer and Zone.objects.filter(code=TOWNS["zumiao"]).exists()):
        log("ledger: demo zones or accounts missing; skipped")
        return
    shanghai = ZoneInfo("Asia/Shanghai")
    with transaction.atomic():
        for name, licence, market, stall, goods, town, nth in VENDORS:
            point = _grid_point(TOWNS[town], nth)
            vendors.vendor_register(actor=operator, data={
                "name": name, "licence_no": licence, "market": market, "stall_no": stall, "goods": goods,
                "lon": point.x, "lat": point.y,
            })
        persons = []
        for case_no, name, username, town in [("SQJZ-2026-0001", "李某", "sqjz_li", "zumiao"),
                                               ("SQJZ-2026-0002", "陈某", "sqjz_chen", "shiwan")]:
            home = _grid_point(TOWNS[town], 2)
            persons.append(corrections.supervision_create(actor=officer, data={
                "case_no": case_no, "name": name, "user_id": _supervised_account(username).pk,
                "zone_codes": [TOWNS[town]], "curfew_start": "22:00", "curfew_end": "06:00",
                "home_lon": home.x, "home_lat": home.y, "home_radius_m": 300,
            }))
        today = timezone.localdate()
        for person, town, away in [(persons[0], "zumiao", "nanzhuang"), (persons[1], "shiwan", "zhangcha")]:
            for days_ago, hour, where in [(3, 9, town), (2, 10, town), (1, 15, away), (1, 23, town), (0, 8, "home")]:
                point = person.home if where == "home" else _grid_point(TOWNS[where], days_ago)
                at = datetime.combine(today - timedelta(days=days_ago), time(hour, 0), tzinfo=shanghai)
                at = min(at, timezone.now())
                corrections.checkin_submit(actor=person.user, person=person, lon=point.x, lat=point.y,
                                        at=at, accuracy_m=15, received_at=at)
        if citizen:
            for text in ("房屋租赁合同 2026-001", "二手车买卖协议"):
                notary.notarise(user=citizen, sha256=hashlib.sha256(text.encode()).hexdigest(), title=text)
            if clerk and resident_id_valid(DEMO_ID_NUMBER):
                identity.identity_attest(actor=clerk, subject=citizen, id_number=DEMO_ID_NUMBER)
        head = ledger_log.sign_head()
    log(f"ledger: {len(VENDORS)} vendors, {SupervisedPerson.objects.count()} persons under supervision, "
        f"check-ins and notarisations; signed head of size {head.tree_size}")
