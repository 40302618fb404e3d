"""Demo sensors: the maintenance event type and a few hundred devices across the district."""
from __future__ import annotations

import random

from django.db import transaction

from geodata.models import Level, Zone
from gridops.accounts.models import Department
from gridops.incidents.models import EventType

from . import conf, services
from .models import Device, Kind

DEMO_DEVICES = 300
# kind → (event type the alarm opens, threshold, direction, unit, owner department short name)
KINDS = {
    Kind.MANHOLE_TILT: ("0101003", 15.0, "above", "°", "水务"),
    Kind.WATER_LEVEL: ("0205002", 0.3, "above", "m", "水务"),
    Kind.SMOKE: ("1410002", 0.1, "above", "dB/m", "应急管理"),
    Kind.NOISE: ("1109004", 70.0, "above", "dB(A)", "生态环境"),
}
NORMAL = {Kind.MANHOLE_TILT: (0.0, 5.0), Kind.WATER_LEVEL: (0.0, 0.1), Kind.SMOKE: (0.0, 0.03), Kind.NOISE: (40.0, 60.0)}


def maintenance_type() -> EventType:
    """物联感知设备离线: the type a silent device's incident has (created with the catalogue's
    first department when the catalogue has no such type)."""
    code = conf.maintenance_event_type()
    found = EventType.objects.filter(code=code).first()
    if found is not None:
        return found
    template = EventType.objects.select_related("category", "department").order_by("code").first()
    return EventType.objects.create(code=code, name="物联感知设备离线", category=template.category,
                                    department=template.department, keywords="传感器;离线;物联",
                                    response_hours=24, resolution_hours=72)


def _department(short_name: str) -> Department:
    return (Department.objects.filter(short_name=short_name).first()
            or Department.objects.filter(name__contains=short_name).first() or Department.objects.order_by("code").first())


@transaction.atomic
def register_demo_devices(count: int = DEMO_DEVICES, *, seed: int = 7, prefix: str = "S") -> list[Device]:
    """`count` devices at random points of random micro-grids (same seed, same devices)."""
    rng = random.Random(seed)
    grids = list(Zone.objects.filter(level=Level.GRID).order_by("code").values_list("geom", flat=True))
    kinds = list(KINDS)
    made = []
    for number in range(1, count + 1):
        kind = kinds[number % len(kinds)]
        type_code, threshold, direction, unit, owner = KINDS[kind]
        point = rng.choice(grids).point_on_surface
        device, _ = services.device_register(
            code=f"{prefix}{number:05d}", kind=kind, lon=point.x, lat=point.y, department=_department(owner),
            event_type=type_code, threshold=threshold, direction=direction, unit=unit,
            name=f"{Kind(kind).label}{number:05d}", heartbeat_seconds=900)
        made.append(device)
    return made


def load_demo_sensors(log=print) -> None:
    if Device.objects.exists():
        log("sensors: already loaded")
        return
    maintenance_type()
    log(f"sensors: {len(register_demo_devices())} demo devices registered (manage.py simulate_sensors drives them)")
