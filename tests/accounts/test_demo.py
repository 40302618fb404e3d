"""Demo accounts: one per role, idempotent, attached to zones, department, grids and permissions."""
import pytest
from django.contrib.auth import authenticate

from gridops.accounts.demo import ACCOUNTS, DEMO_PASSWORD, load_demo_accounts
from gridops.accounts.models import Department, Profile, Role

pytestmark = pytest.mark.django_db


def test_demo_accounts(tiny_district):
    Department.objects.create(code="cg", name="城市管理和综合执法局", short_name="城管")
    lines = []
    load_demo_accounts(lines.append)
    load_demo_accounts(lines.append)  # idempotent
    assert Profile.objects.count() == len(ACCOUNTS)
    assert {p.role for p in Profile.objects.all()} == set(Role.values)
    nz = Profile.objects.get(user__username="nanzhuang_op")
    assert nz.zone.code == "440604101"
    # The wall displays: the district's and 南庄镇's, view only (Role.SCREEN).
    screens = dict(Profile.objects.filter(role=Role.SCREEN).values_list("user__username", "zone__code"))
    assert screens == {"screen": "440604", "nanzhuang_screen": "440604101"}
    assert Profile.objects.get(user__username="chengguan_handler").department.code == "cg"
    worker = Profile.objects.get(user__username="grid_worker")
    assert worker.grids.count() == 2 and all(g.code.startswith("440604101") for g in worker.grids.all())
    assert authenticate(username="district_op", password=DEMO_PASSWORD) is not None
    # 石湾 is not in the tiny district: the account exists and the gap is logged, not fatal.
    assert any("440604002" in line for line in lines)
