"""Writes of the sensors app: a reading in (from MQTT or HTTP), and the heartbeat sweep.

A reading past its device's threshold opens an incident of the device's type through the one
intake (`incident_report`, source 物联感知), so it is located, routed, timed and pushed like any
report — or joins the open incident the duplicate rules find (same type, within the duplicate
radius and window: the device's own earlier alarm, or a person's report of the same thing).
Each reading is stored once per (device, reading id) with the device row locked, so a redelivered
or retried reading changes nothing and two alarms of one device never race to two incidents.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.utils import timezone

from gridops.core import clock
from gridops.core.errors import GridOpsError, InvalidInput, NotFound
from gridops.core.numbers import parse_lon_lat, parse_number
from gridops.incidents import selectors as incident_selectors
from geodata.selectors import locate_point
from gridops.incidents.models import EventType, Incident, Source
from gridops.incidents.services.intake import incident_report

from . import conf
from .models import Device, Reading

READING_ID_MAX = 64


@dataclass
class Ingested:
    """One reading's outcome: stored now (`created`), stored before (a retry: the stored one),
    or refused (`error`, naming the field)."""
    reading: Reading | None = None
    created: bool = False
    error: GridOpsError | None = None

    @property
    def label(self) -> str:
        return f"rejected: {self.error.field}: {self.error.message}" if self.error else "stored"


def reading_ingest(*, device: Device | str, reading_id, value, measured_at=None, via: str) -> tuple[Reading, bool]:
    """Store one reading once; (reading, created). The batch path with one item, so a reading
    over HTTP and over MQTT meet the same rules; its error, if any, is raised."""
    [outcome] = readings_ingest_batch([{"device": device, "id": reading_id, "value": value, "at": measured_at}], via=via)
    if outcome.error is not None:
        raise outcome.error
    return outcome.reading, outcome.created


def readings_ingest_batch(items: list[dict], *, via: str) -> list[Ingested]:
    """Store readings (`{"device", "id", "value", "at"}`), each once per (device, reading id);
    one outcome per item. The batch's devices are locked (in id order, so two batches never
    deadlock), so what is already stored is known exactly: a redelivered or retried reading
    changes nothing and answers the stored one. Ordinary readings go in with one INSERT and one
    UPDATE of their devices; a reading past its threshold then opens or joins an incident in a
    transaction of its own with its device locked, so two alarms never race to two incidents."""
    now = timezone.now()
    parsed = [_parsed(item, now=now, via=via) for item in items]  # (outcome, device code)
    alarms = []
    with transaction.atomic():
        devices = _locked_devices({code for outcome, code in parsed if outcome.error is None})
        stored = _stored_readings({(devices[code].pk, outcome.reading.reading_id) for outcome, code in parsed
                                   if outcome.error is None and code in devices})
        new = {}
        for outcome, code in parsed:
            if outcome.error is not None:
                continue
            if code not in devices:
                outcome.reading, outcome.error = None, NotFound(f"device {code[:40]!r} not found", field="device")
                continue
            reading, device = outcome.reading, devices[code]
            key = (device.pk, reading.reading_id)
            if key in stored or key in new:  # a retry, or the same reading twice in this batch
                outcome.reading = stored.get(key) or new[key]
                continue
            reading.device, reading.breach = device, device.breached_by(reading.value)
            new[key], outcome.created = reading, True
            if reading.breach:
                alarms.append(outcome)
        plain = [reading for reading in new.values() if not reading.breach]
        Reading.objects.bulk_create(plain)
        _heard(plain, now)
    for outcome in alarms:
        outcome.reading, outcome.created = _alarm_store(outcome.reading, now)
    return [outcome for outcome, _code in parsed]


def _parsed(item: dict, *, now: datetime, via: str) -> tuple[Ingested, str]:
    """The item checked field by field: an outcome holding the unsaved reading, and the device's code."""
    device = item.get("device")
    code = device.code if isinstance(device, Device) else str(device)
    try:
        reading = Reading(reading_id=_reading_id(item.get("id")), value=parse_number(item.get("value"), "value"),
                          measured_at=clock.device_time(item.get("at"), now=now, field="measured_at") or now, via=via)
    except GridOpsError as exc:
        return Ingested(error=exc), code
    return Ingested(reading=reading), code


def _locked_devices(codes: set[str]) -> dict[str, Device]:
    """The active devices with these codes, locked for this transaction, by code (a code with
    a NUL, which PostgreSQL text cannot hold, is no device's)."""
    codes = {code for code in codes if "\x00" not in code}
    if not codes:
        return {}
    return {d.code: d for d in Device.objects.select_for_update().filter(code__in=codes, active=True).order_by("pk")}


def _stored_readings(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Reading]:
    """The readings already stored under these (device pk, reading id), by that pair (one
    query on the unique index, however many devices share reading ids)."""
    if not keys:
        return {}
    device_ids, reading_ids = zip(*keys)
    found = Reading.objects.raw(
        "SELECT r.* FROM sensors_reading AS r JOIN unnest(%s::bigint[], %s::text[]) AS k(device_id, reading_id) "
        "ON r.device_id = k.device_id AND r.reading_id = k.reading_id", [list(device_ids), list(reading_ids)])
    return {(r.device_id, r.reading_id): r for r in found}


def _alarm_store(reading: Reading, now: datetime) -> tuple[Reading, bool]:
    """A reading past its threshold: stored with the incident it opens or joins, device locked."""
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=reading.device.pk)
        existing = Reading.objects.filter(device=device, reading_id=reading.reading_id).first()
        if existing is not None:  # a concurrent retry stored it first
            return existing, False
        reading.device, reading.breach = device, device.breached_by(reading.value)
        if reading.breach:
            reading.incident, reading.opened = _open_or_join(device, reading, now)
        reading.save(force_insert=True)
        _heard([reading], now)
    return reading, True


def _heard(readings, now: datetime) -> None:
    """One UPDATE for every device of these readings: heard now, its latest value, and its
    maintenance incident (if any) let go."""
    latest = {}
    for reading in readings:
        if reading.device.pk not in latest or reading.measured_at >= latest[reading.device.pk].measured_at:
            latest[reading.device.pk] = reading
    if not latest:
        return
    rows = [(pk, reading.value) for pk, reading in latest.items()]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sensors_device AS d SET last_seen_at = %s, last_value = v.value, silent_incident_id = NULL "
            "FROM unnest(%s::bigint[], %s::double precision[]) AS v(id, value) WHERE d.id = v.id",
            [now, [pk for pk, _ in rows], [value for _, value in rows]])


def _reading_id(value) -> str:
    text = str(value if value is not None else "").strip()
    if not text or len(text) > READING_ID_MAX or "\x00" in text:
        raise InvalidInput(f"id must be 1–{READING_ID_MAX} characters", field="id")
    return text


def _open_or_join(device: Device, reading: Reading, now: datetime) -> tuple[Incident, bool]:
    joined = (incident_selectors.duplicate_candidates(event_type_id=device.event_type_id, point=device.location, now=now)
              .order_by("reported_at").first())
    if joined is not None:
        return joined, False
    unit = f" {device.unit}" if device.unit else ""
    description = (f"物联感知：{device.name or device.code} 读数 {reading.value:g}{unit}，"
                   f"{device.get_direction_display()} {device.threshold:g}{unit}（读数 {reading.reading_id}）")
    incident, _created = incident_report(reporter=None, lon=device.location.x, lat=device.location.y,
                                         event_type=device.event_type, source=Source.SENSOR,
                                         description=description, captured_at=reading.measured_at)
    return incident, True


def device_register(*, code: str, kind: str, lon, lat, department, event_type, threshold, direction: str = "above",
                    name: str = "", unit: str = "", heartbeat_seconds: int = 600) -> tuple[Device, bool]:
    """Register a device (or return the one with that code): located in its micro-grid."""
    existing = Device.objects.filter(code=code).first()
    if existing is not None:
        return existing, False
    lon, lat = parse_lon_lat(lon, lat)
    located = locate_point(lon, lat)
    if located is None:
        raise InvalidInput("the device (lon, lat) is outside the district", field="location")
    device = Device.objects.create(
        code=code, kind=kind, name=name, location=Point(lon, lat, srid=4326), grid=located.grid,
        department=department, event_type=_event_type(event_type), threshold=parse_number(threshold, "threshold"),
        direction=direction, unit=unit, heartbeat_seconds=heartbeat_seconds)
    return device, True


def _event_type(value) -> EventType:
    if isinstance(value, EventType):
        return value
    found = EventType.objects.filter(code=str(value), active=True).first()
    if found is None:
        raise InvalidInput(f"unknown event type {value!r}", field="event_type")
    return found


# --- silence -------------------------------------------------------------------------------

def silent_devices(now: datetime | None = None):
    """Active devices not heard from within their heartbeat window (never heard: since registered)."""
    now = now or timezone.now()
    cutoff = ExpressionWrapper(Value(now) - F("heartbeat_seconds") * Value(timedelta(seconds=1)),
                               output_field=DateTimeField())
    return Device.objects.filter(active=True, silent_incident__isnull=True).filter(
        Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, created_at__lt=cutoff))


def heartbeat_tick(now: datetime | None = None) -> int:
    """Worker tick: a maintenance incident for each device gone silent (once until it is heard again)."""
    raised = 0
    for pk in silent_devices(now).values_list("pk", flat=True):
        with transaction.atomic():
            device = silent_devices(now).select_for_update(skip_locked=True).filter(pk=pk).first()
            if device is None:
                continue
            seconds = device.heartbeat_seconds
            incident, _ = incident_report(
                reporter=None, lon=device.location.x, lat=device.location.y, event_type=conf.maintenance_event_type(),
                source=Source.SENSOR, description=f"物联感知设备 {device.name or device.code} 超过 {seconds} 秒未上报，需检修")
            device.silent_incident = incident
            device.save(update_fields=["silent_incident"])
            raised += 1
    return raised
