"""Sensors on the tiny district: devices in 祖庙 grid 1 and 南庄 grid 1, and a private Mosquitto."""
import shutil

import pytest

from gridops.sensors import demo, services
from gridops.sensors.broker import PrivateMosquitto
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, build_people, catalogue


@pytest.fixture
def district(settings):
    world = build_people()
    event_type = catalogue()  # 井盖缺失, 城管
    settings.GRIDOPS_SENSOR_MAINTENANCE_EVENT_TYPE = "9901001"
    demo.maintenance_type()
    zones = world["zones"]
    world["devices"] = {}
    for code, grid in (("ZM1", ZUMIAO_GRID), ("NZ1", NANZHUANG_GRID)):
        centre = zones[grid].geom.centroid
        world["devices"][code], _ = services.device_register(
            code=code, kind="manhole_tilt", lon=centre.x, lat=centre.y, department=event_type.department,
            event_type=event_type, threshold=15.0, unit="°", heartbeat_seconds=600)
    world["event_type"] = event_type
    return world


@pytest.fixture
def broker():
    mosquitto = PrivateMosquitto()
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()
    shutil.rmtree(mosquitto.dir, ignore_errors=True)
