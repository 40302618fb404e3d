"""Reads of the sensors app: the devices a user may see on the map, with their state."""
from __future__ import annotations

from django.db.models import QuerySet

from gridops.accounts.selectors import within_jurisdiction

from .models import Device


def devices_visible_to(user) -> QuerySet[Device]:
    """Devices inside the user's jurisdiction (the district: all of them)."""
    return Device.objects.filter(active=True).filter(within_jurisdiction(user, "grid__code"))


def device_state(device: Device) -> str:
    if device.silent_incident_id:
        return "silent"
    if device.last_value is not None and device.breached_by(device.last_value):
        return "alarm"
    return "ok" if device.last_seen_at else "unknown"
