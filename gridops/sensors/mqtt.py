"""The MQTT side of sensors: topic names, the reading message, and the bridge that feeds
`services.readings_ingest_batch` from the broker.

Devices publish `{"id": <reading id>, "value": <number>, "at": <ISO time, optional>}` to
`<prefix>/<device code>/readings` with QoS 1. The bridge subscribes with a persistent session
(clean_session off, a fixed client id), stores what arrives in batches, and acknowledges a
message only after its batch is committed: a bridge or broker restart redelivers what was not yet stored, and the reading id makes
the redelivery harmless. paho-mqtt reconnects by itself (1 s → 10 s back-off).
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.db import close_old_connections

from . import conf, services

logger = logging.getLogger(__name__)
QOS = 1


def readings_topic(device_code: str, prefix: str | None = None) -> str:
    return f"{prefix or conf.topic_prefix()}/{device_code}/readings"


def broker(url: str | None = None) -> tuple[str, int]:
    parsed = urlparse(url or conf.mqtt_url())
    return parsed.hostname or "127.0.0.1", parsed.port or 1883


def reading_message(reading_id: str, value: float, at: str | None = None) -> bytes:
    return json.dumps({"id": reading_id, "value": value, **({"at": at} if at else {})}).encode()


def parse_message(topic: str, payload: bytes, prefix: str | None = None) -> dict | str:
    """{device, id, value, at} from one message, or why it is refused (a bad message is logged
    and acknowledged: redelivering it would not make it better)."""
    parts = topic.split("/")
    base = (prefix or conf.topic_prefix()).split("/")
    if len(parts) != len(base) + 2 or parts[: len(base)] != base or parts[-1] != "readings":
        return f"unexpected topic {topic[:120]!r}"
    try:
        body = json.loads(payload)
    except ValueError:
        return "not JSON"
    if not isinstance(body, dict):
        return "not a JSON object"
    return {"device": parts[len(base)], "id": body.get("id"), "value": body.get("value"), "at": body.get("at")}


class Bridge:
    """Broker → database. Messages are stored in batches (up to BATCH, or what arrived within
    BATCH_WAIT) by a thread of their own and acknowledged only after their batch committed; a
    database error holds the batch, unacknowledged, and retries it until the database answers
    (the broker keeps the rest for the persistent session meanwhile)."""

    BATCH, BATCH_WAIT = 500, 0.1

    def __init__(self, *, url: str | None = None, prefix: str | None = None, client_id: str = "gridops-sensor-bridge"):
        self.host, self.port = broker(url)
        self.prefix = prefix or conf.topic_prefix()
        self.counts = {"stored": 0, "rejected": 0, "retried_batches": 0}
        self.inbox: queue.Queue = queue.Queue()
        self.running = threading.Event()
        self.subscribed = threading.Event()  # the broker keeps messages for us from here on
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                  protocol=mqtt.MQTTv311, manual_ack=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = lambda client, userdata, message: self.inbox.put(message)
        self.worker = threading.Thread(target=self._store_batches, name="sensor-bridge-store", daemon=True)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if not reason_code.is_failure:
            client.subscribe(f"{self.prefix}/+/readings", qos=QOS)

    def _next_batch(self) -> list:
        try:
            batch = [self.inbox.get(timeout=0.5)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.BATCH_WAIT
        while len(batch) < self.BATCH and (left := deadline - time.monotonic()) > 0:
            try:
                batch.append(self.inbox.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _store_batches(self) -> None:
        while self.running.is_set():
            batch = self._next_batch()
            if batch:
                self._store(batch)

    def _store(self, batch: list) -> None:
        parsed = [parse_message(m.topic, m.payload, self.prefix) for m in batch]
        items = [item for item in parsed if isinstance(item, dict)]
        delay = 0.5
        while True:
            close_old_connections()
            try:
                outcomes = [o.label for o in services.readings_ingest_batch(items, via="mqtt")] if items else []
                break
            except Exception:  # the database is away: hold the batch (unacknowledged) and retry
                logger.exception("sensors: could not store %d readings; retrying in %.1f s", len(items), delay)
                self.counts["retried_batches"] += 1
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        for outcome in [*outcomes, *(item for item in parsed if not isinstance(item, dict))]:
            kind = "stored" if outcome == "stored" else "rejected"
            self.counts[kind] += 1
            if kind == "rejected":
                logger.warning("sensors: reading %s", outcome)
        for message in batch:
            self.client.ack(message.mid, message.qos)

    def start(self, *, wait: float = 30.0) -> None:
        """Connect and process in background threads (tests, benches); returns once subscribed
        (a reading published before the first subscription is not kept for us by the broker)."""
        self.running.set()
        self.worker.start()
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self.subscribed.wait(wait):
            raise RuntimeError(f"no subscription at mqtt://{self.host}:{self.port} after {wait} s")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.running.clear()
        self.worker.join(timeout=10)

    def run(self) -> None:
        self.running.set()
        self.worker.start()
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_forever(retry_first_connection=True)
