"""The fuzzers share the security tests' world (one per module, rolled back at its end), with one
object of each kind the newer apps' routes name (emergency, its task, a shelter, an early warning,
a sensor device and its key), a published catchment plan (the school and export routes answer
only from one) and the planner's right to publish, so their path parameters reach the code, not
only a 404 or a 403."""
import pytest

from tests.security.conftest import keep_connection, shared_world  # noqa: F401
from tests.security.world import NZ_GRID, NZ_POINT


@pytest.fixture(scope="module")
def fuzz_world(shared_world, django_db_blocker):  # noqa: F811
    with django_db_blocker.unblock():
        return shared_world | fuzz_objects(shared_world)


def fuzz_objects(world: dict) -> dict:
    from django.contrib.auth.models import Permission
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from gridops.education.models import CatchmentMember, CatchmentPlan, PlanStatus
    from gridops.education.rules import PUBLISH_PERMISSION

    from gridops.emergency.models import Shelter, Task
    from gridops.emergency.services import emergency_declare
    from gridops.foresight.models import EarlyWarning
    from gridops.sensors import keys
    from gridops.sensors import services as sensors

    zones, users = world["zones"], world["users"]
    emergency, _ = emergency_declare(user=users["district_operator"], kind="flood", title="内涝",
                                     area={"zones": [NZ_GRID]})
    shelter = Shelter.objects.create(code="S-NZ1", name="南庄避难所", location=Point(*NZ_POINT, srid=4326),
                                     grid_code=NZ_GRID, capacity=100)
    grid = zones[NZ_GRID]
    warning = EarlyWarning.objects.create(grid=grid, village=grid.parent, town=zones["440604101"],
                                          week=timezone.localdate(), forecast=9.0, usual=2.0, reason="预测高于常态")
    device, _ = sensors.device_register(code="D-NZ1", kind="manhole_tilt", lon=NZ_POINT[0], lat=NZ_POINT[1],
                                        department=world["departments"]["cg"], event_type=world["event_type"],
                                        threshold=15.0)
    published = CatchmentPlan.objects.create(name="2025年招生范围", school_year=2025, status=PlanStatus.PUBLISHED,
                                             published_at=timezone.now())
    CatchmentMember.objects.create(plan=published, school=world["school"], zone=zones["44060400101001001"])
    app_label, codename = PUBLISH_PERMISSION.split(".")
    users["planner"].user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return {"published_plan": published, "emergency": emergency, "emergency_task": Task.objects.get(emergency=emergency, worker=users["grid_worker"]),
            "shelter": shelter, "warning": warning, "device": device, "device_key": keys.key_issue(device)}
