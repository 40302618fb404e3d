"""Devices and their keys in the admin (a key is shown once when issued, then only its hash is kept)."""
from django.contrib.gis import admin
from rest_framework_api_key.admin import APIKeyModelAdmin

from .models import Device, DeviceKey


@admin.register(Device)
class DeviceAdmin(admin.GISModelAdmin):
    list_display = ("code", "kind", "name", "department", "threshold", "direction", "last_value", "last_seen_at", "active")
    list_filter = ("kind", "active", "department")
    search_fields = ("code", "name")
    raw_id_fields = ("grid", "event_type", "silent_incident")


@admin.register(DeviceKey)
class DeviceKeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "device")
    raw_id_fields = ("device",)
