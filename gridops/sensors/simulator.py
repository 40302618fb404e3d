"""Simulated devices over MQTT (`manage.py simulate_sensors`, the sensors bench and test).

Each device publishes one reading per `interval` seconds, QoS 1, numbered `<code>-<n>`; a share
of readings lie past the threshold. paho-mqtt keeps QoS 1 messages published while the broker is
away and sends them when it is back, so a broker restart loses nothing it acknowledged.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from django.utils import timezone

from . import mqtt as bridge
from .demo import KINDS, NORMAL
from .models import Device


@dataclass
class Sent:
    readings: list[tuple[str, str, float, bool]] = field(default_factory=list)  # device, id, value, breach
    acknowledged: int = 0

    @property
    def breaches(self) -> int:
        return sum(1 for row in self.readings if row[3])


def value_for(device: Device, rng: random.Random, breach: bool) -> float:
    low, high = NORMAL.get(device.kind, (0.0, device.threshold / 2))
    if breach:
        return round(device.threshold * (1.2 + rng.random()) if device.direction == "above"
                     else device.threshold * rng.random() * 0.5, 3)
    return round(low + (high - low) * rng.random(), 3)


def simulate(devices: list[Device], *, interval: float, seconds: float, breach_share: float = 0.01,
             url: str | None = None, prefix: str | None = None, seed: int = 1, stop: threading.Event | None = None,
             client_id: str = "gridops-sensor-simulator", record: bool = True) -> Sent:
    """Publish readings for `seconds` (0: until stopped); returns what was sent once every message
    is acknowledged. `record=False` (the demo's endless run) keeps counts, not every reading."""
    rng, sent = random.Random(seed), Sent()
    host, port = bridge.broker(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                         protocol=mqtt.MQTTv311)
    client.max_queued_messages_set(0)  # keep everything published while the broker is away
    client.max_inflight_messages_set(200)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    client.on_publish = lambda *args: setattr(sent, "acknowledged", sent.acknowledged + 1)
    client.connect_async(host, port, keepalive=30)
    client.loop_start()
    infos, sequence, started = [], 0, time.monotonic()
    try:
        while (seconds <= 0 or time.monotonic() - started < seconds) and not (stop and stop.is_set()):
            sequence += 1
            tick = time.monotonic()
            for device in devices:
                breach = rng.random() < breach_share
                value = value_for(device, rng, breach)
                reading_id = f"{device.code}-{sequence}"
                at = timezone.now().isoformat()  # the bench reads latency as received_at - measured_at
                info = client.publish(bridge.readings_topic(device.code, prefix),
                                      bridge.reading_message(reading_id, value, at), qos=bridge.QOS)
                if record:
                    infos.append(info)
                    sent.readings.append((device.code, reading_id, value, device.breached_by(value)))
            time.sleep(max(0.0, interval - (time.monotonic() - tick)))
        deadline = time.monotonic() + 120
        while sent.acknowledged < len(infos) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        client.disconnect()
        client.loop_stop()
    return sent
