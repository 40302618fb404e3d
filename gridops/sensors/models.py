"""Sensors (自动抓取): the device registry and every reading received, once.

A device says what it measures, where it stands, which department owns it, the incident type a
reading past its threshold opens, and how often it must be heard from. A reading is stored once
per (device, reading id): the device numbers its readings, so a retry over HTTP or a QoS 1
redelivery over MQTT finds the row and changes nothing.
"""
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class Kind(models.TextChoices):
    MANHOLE_TILT = "manhole_tilt", _("井盖倾斜")
    WATER_LEVEL = "water_level", _("水位")
    SMOKE = "smoke", _("烟感")
    NOISE = "noise", _("噪声")


class Direction(models.TextChoices):
    ABOVE = "above", _("高于阈值")
    BELOW = "below", _("低于阈值")


class Device(models.Model):
    code = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=64, blank=True)
    location = models.PointField(srid=4326)
    grid = models.ForeignKey("geodata.Zone", null=True, on_delete=models.PROTECT, related_name="+",
                             help_text="the micro-grid it stands in (located at registration)")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="devices",
                                   help_text="the owner, who maintains it")
    event_type = models.ForeignKey("incidents.EventType", on_delete=models.PROTECT, related_name="+",
                                   help_text="the incident a reading past the threshold opens")
    threshold = models.FloatField()
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.ABOVE)
    unit = models.CharField(max_length=16, blank=True)
    heartbeat_seconds = models.PositiveIntegerField(default=600, help_text="silent longer than this: maintenance")
    active = models.BooleanField(default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    silent_incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", help_text="the open maintenance incident while silent")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["active", "last_seen_at"])]

    def __str__(self):
        return f"{self.code} {self.get_kind_display()}"

    def breached_by(self, value: float) -> bool:
        return value > self.threshold if self.direction == Direction.ABOVE else value < self.threshold


class Reading(models.Model):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings")
    reading_id = models.CharField(max_length=64, help_text="the device's own number for the reading")
    value = models.FloatField()
    measured_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=8)  # "mqtt" or "http"
    breach = models.BooleanField(default=False)
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="sensor_readings")
    opened = models.BooleanField(default=False, help_text="this reading opened the incident (else it joined one)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "reading_id"], name="sensors_one_reading_per_id")]
        indexes = [models.Index(fields=["device", "-measured_at"])]


class DeviceKey(AbstractAPIKey):
    """A device's key for the HTTP endpoint (`Authorization: Api-Key <prefix>.<secret>`): only a
    hash is stored, it can be revoked, and it speaks for one device only."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "device key"
