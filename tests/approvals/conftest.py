"""Fixtures of the approvals tests: a small district, two departments, a town centre, people."""
import pytest

from gridops.accounts.models import Role
from gridops.approvals.models import HallKind

from . import factories as f


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world()


@pytest.fixture
def live_world(transactional_db):
    """The same world, committed, for tests against a live server process."""
    return build_world()


def build_world() -> dict:
    zones = f.zone_tree()
    shichang = f.department("shichang", "区市场监督管理局")
    gongan = f.department("gongan", "公安禅城分局")
    food = f.item("shichang001", "食品经营许可证核发", shichang, ["application_form", "id_card", "lease"])
    residence = f.item("gongan001", "居住证办理", gongan, ["id_card", "photo"], on_the_spot=True, legal=10, promised=0)
    town = f.hall_at(zones["nanzhuang"], "H440604101")
    other = f.hall_at(zones["zumiao"], "H440604001")
    centre = f.hall_at(zones["district"], "H440604", kind=HallKind.DISTRICT_CENTRE, counters=2)
    return {
        **zones, "shichang": shichang, "gongan": gongan, "food": food, "residence": residence,
        "town": town, "other": other, "centre": centre,
        "clerk": f.user_with(Role.COUNTER_CLERK, hall=town),
        "clerk2": f.user_with(Role.COUNTER_CLERK, hall=town),
        "other_clerk": f.user_with(Role.COUNTER_CLERK, hall=other),
        "food_reviewer": f.user_with(Role.REVIEWER, dept=shichang),
        "police_reviewer": f.user_with(Role.REVIEWER, dept=gongan),
        "operator": f.user_with(Role.DISTRICT_OPERATOR, zone=zones["district"]),
        "citizen": f.user_with(Role.CITIZEN),
        "stranger": f.user_with(Role.CITIZEN),
    }
