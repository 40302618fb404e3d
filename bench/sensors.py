"""Automatic capture: 500 simulated devices, one reading each per 10 s over MQTT for 5 minutes,
with the broker restarted once in the middle (issue 17's acceptance).

What must hold, counted rather than assumed: every reading the broker acknowledged is stored
exactly once; every reading past its threshold is in exactly one incident (it opened it, or
joined the one a reading of the same device opened). Measured: end-to-end latency from the
device's send to the stored row (p50/p99 with n), the broker's downtime, and the load average.
`SENSORS_DEVICES`, `SENSORS_SECONDS` and `SENSORS_INTERVAL` scale it down for a quick look.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter

from bench.support import machine, percentiles_ms
from gridops.incidents.models import Incident
from gridops.sensors.broker import PrivateMosquitto
from gridops.sensors.demo import register_demo_devices
from gridops.sensors.models import Device, Reading
from gridops.sensors.mqtt import Bridge
from gridops.sensors.simulator import simulate

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue", "load_demo_accounts"]
PREFIX = "bench/sensors"


def _fresh_devices(count: int) -> list[Device]:
    Incident.objects.filter(sensor_readings__device__code__startswith="B").distinct().delete()
    Reading.objects.filter(device__code__startswith="B").delete()
    Device.objects.filter(code__startswith="B").delete()
    return register_demo_devices(count, seed=11, prefix="B")


def run() -> dict:
    count = int(os.environ.get("SENSORS_DEVICES", 500))
    seconds = float(os.environ.get("SENSORS_SECONDS", 300))
    interval = float(os.environ.get("SENSORS_INTERVAL", 10))
    devices = _fresh_devices(count)
    broker = PrivateMosquitto()
    broker.start()
    bridge = Bridge(url=broker.url, prefix=PREFIX, client_id="bench-bridge")
    bridge.start()
    downtime = {}

    def restart():
        stopped = time.monotonic()
        broker.stop()
        time.sleep(3)
        broker.start()
        downtime["seconds"] = round(time.monotonic() - stopped, 2)

    timer = threading.Timer(seconds / 2, restart)
    timer.start()
    try:
        sent = simulate(devices, interval=interval, seconds=seconds, breach_share=0.01, url=broker.url, prefix=PREFIX,
                        client_id="bench-simulator")
        timer.join()
        deadline = time.monotonic() + 300
        while Reading.objects.filter(device__code__startswith="B").count() < len(sent.readings) \
                and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        bridge.stop()
        broker.stop()
        shutil.rmtree(broker.dir, ignore_errors=True)
    readings = Reading.objects.filter(device__code__startswith="B")
    stored = Counter(readings.values_list("device__code", "reading_id"))
    expected = {(code, rid) for code, rid, _, _ in sent.readings}
    breaches = readings.filter(breach=True)
    opened = Counter(breaches.filter(opened=True).values_list("incident_id", flat=True))
    latencies = [(r - m).total_seconds() for r, m in readings.values_list("received_at", "measured_at")]
    return {
        "devices": count, "interval_s": interval, "seconds": seconds, "broker_downtime_s": downtime.get("seconds"),
        "sent": len(sent.readings), "acknowledged_by_broker": sent.acknowledged, "stored": sum(stored.values()),
        "lost": len(expected - set(stored)), "duplicated": sum(1 for n in stored.values() if n > 1),
        "past_threshold_sent": sent.breaches, "past_threshold_stored": breaches.count(),
        "past_threshold_without_incident": breaches.filter(incident__isnull=True).count(),
        "incidents_opened": len(opened), "incidents_opened_twice": sum(1 for n in opened.values() if n > 1),
        "bridge": bridge.counts,
        "latency_send_to_stored": percentiles_ms(latencies),
        "machine": machine(),
    }
