"""Devices over MQTT with the broker restarted in the middle: every reading stored once, every
reading past its threshold in exactly one incident (opened by the first, joined by the rest)."""
import threading
import time
from collections import Counter

import pytest

from gridops.incidents.models import Incident, Source
from gridops.sensors import services
from gridops.sensors.models import Reading
from gridops.sensors.mqtt import Bridge
from gridops.sensors.simulator import simulate

pytestmark = pytest.mark.django_db(transaction=True)
PREFIX = "test/sensors"


def many_devices(district, count):
    base = district["devices"]["ZM1"]
    devices = []
    for number in range(count):
        lon, lat = base.location.x + (number % 6) * 0.0012 - 0.003, base.location.y + (number // 6) * 0.0012 - 0.003
        device, _ = services.device_register(code=f"T{number:03d}", kind="manhole_tilt", lon=lon, lat=lat,
                                             department=base.department, event_type=district["event_type"],
                                             threshold=15.0)
        devices.append(device)
    return devices


def test_broker_restart_loses_and_duplicates_nothing(district, broker):
    devices = many_devices(district, 24)
    bridge = Bridge(url=broker.url, prefix=PREFIX, client_id="test-bridge")
    bridge.start()
    restart = threading.Timer(4.0, lambda: (broker.stop(), time.sleep(1.5), broker.start()))
    restart.start()
    try:
        sent = simulate(devices, interval=0.5, seconds=9, breach_share=0.08, url=broker.url, prefix=PREFIX,
                        client_id="test-simulator")
        restart.join()
        deadline = time.monotonic() + 90
        while Reading.objects.count() < len(sent.readings) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        bridge.stop()
    assert sent.acknowledged == len(sent.readings) > 300
    stored = Counter(Reading.objects.values_list("device__code", "reading_id"))
    assert set(stored) == {(code, rid) for code, rid, _, _ in sent.readings}  # none lost, none invented
    assert max(stored.values()) == 1
    breaches = Reading.objects.filter(breach=True)
    assert breaches.count() == sent.breaches > 0
    assert not breaches.filter(incident__isnull=True).exists()  # every alarm is in an incident
    opened = Counter(breaches.filter(opened=True).values_list("incident_id", flat=True))
    assert max(opened.values()) == 1  # each incident opened by one reading
    assert set(opened) == set(Incident.objects.filter(source=Source.SENSOR).values_list("pk", flat=True))
    assert set(breaches.values_list("incident_id", flat=True)) == set(opened)  # the rest joined those
