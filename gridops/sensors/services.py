"""Writes of the sensors app: a reading in (from MQTT or HTTP), and the heartbeat sweep.

A reading past its device's threshold opens an incident of the device's type through the one
intake (`incident_report`, source 物联感知), so it is located, routed, timed and pushed like any
report — or joins the open incident the duplicate rules find (same type, within the duplicate
radius and window: the device's own earlier alarm, or a person's report of the same thing).
Each reading is stored once per (device, reading id) with the device row locked, so a redelivered
or retried reading changes nothing and two alarms of one device never race to two incidents.
"""
from __future__ import annotations

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


def reading_ingest(*, device: Device | str, reading_id, value, measured_at=None, via: str) -> tuple[Reading, bool]:
    """Store a reading once; (reading, created). A breach opens or joins an incident."""
    reading_id = _reading_id(reading_id)
    value = parse_number(value, "value")
    now = timezone.now()
    measured = clock.device_time(measured_at, now=now, field="measured_at") or now
    with transaction.atomic():
        device = _locked_device(device)
        existing = Reading.objects.filter(device=device, reading_id=reading_id).first()
        if existing is not None:
            return existing, False
        reading = Reading(device=device, reading_id=reading_id, value=value, measured_at=measured, via=via,
                          breach=device.breached_by(value))
        if reading.breach:
            reading.incident, reading.opened = _open_or_join(device, reading, now)
        reading.save(force_insert=True)
        _heard(device, reading, now)
    return reading, True


def readings_ingest_batch(items: list[dict], *, via: str) -> list[str]:
    """Many readings at once (the MQTT bridge's batches): one outcome per item, "stored" or
    "rejected: <why>". Ordinary readings go in with one INSERT … ON CONFLICT DO NOTHING (a
    redelivered reading id changes nothing) and one UPDATE of their devices; a reading past its
    threshold goes through `reading_ingest`, one at a time with its device locked, to open or
    join an incident exactly once."""
    now = timezone.now()
    codes = {str(item.get("device")) for item in items}
    devices = {d.code: d for d in Device.objects.filter(code__in=codes, active=True)}
    outcomes, plain, alarms = [], {}, []
    for index, item in enumerate(items):
        device = devices.get(str(item.get("device")))
        try:
            if device is None:
                raise NotFound("device not found", field="device")
            reading = Reading(device=device, reading_id=_reading_id(item.get("id")), value=parse_number(item.get("value"), "value"),
                              measured_at=clock.device_time(item.get("at"), now=now, field="measured_at") or now, via=via)
        except GridOpsError as exc:
            outcomes.append(f"rejected: {exc.field}: {exc.message}")
            continue
        outcomes.append("stored")
        if device.breached_by(reading.value):
            alarms.append((index, item))
        else:
            plain[(device.pk, reading.reading_id)] = reading
    with transaction.atomic():
        Reading.objects.bulk_create(plain.values(), ignore_conflicts=True)
        _heard_many(plain.values(), now)
    for index, item in alarms:
        reading_ingest(device=str(item["device"]), reading_id=item.get("id"), value=item.get("value"),
                       measured_at=item.get("at"), via=via)
    return outcomes


def _heard_many(readings, now: datetime) -> None:
    """One UPDATE for every device of a batch: heard now, its latest value, no longer silent."""
    latest = {}
    for reading in readings:
        if reading.device_id not in latest or reading.measured_at >= latest[reading.device_id].measured_at:
            latest[reading.device_id] = reading
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


def _locked_device(device: Device | str) -> Device:
    code = device.code if isinstance(device, Device) else str(device)
    found = Device.objects.select_for_update().filter(code=code, active=True).first()
    if found is None:
        raise NotFound(f"device {code[:40]!r} not found", field="device")
    return found


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


def _heard(device: Device, reading: Reading, now: datetime) -> None:
    """The device is alive: its last value, and its maintenance incident (if any) let go."""
    device.last_seen_at, device.last_value, device.silent_incident = now, reading.value, None
    device.save(update_fields=["last_seen_at", "last_value", "silent_incident"])


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
