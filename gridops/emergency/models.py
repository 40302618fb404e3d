"""Emergency response (应急处置): declared emergencies, the task each affected worker gets, shelters.

An emergency is declared over an area; the micro-grids it touches decide who is tasked (their grid
workers) and who hears it (the audiences of those grids' zones, from the jurisdiction table), and
both are stored at declaration so the board and the pushes never disagree with a later re-draw.
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    TYPHOON = "typhoon", _("Typhoon")
    FLOOD = "flood", _("Flood")
    ACCIDENT = "accident", _("Major accident")
    PUBLIC_ORDER = "public_order", _("Public order")


class AreaSource(models.TextChoices):
    POLYGON = "polygon", _("Drawn area")
    BUFFER = "buffer", _("Around a point")
    ZONES = "zones", _("Chosen zones")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class TaskStatus(models.TextChoices):
    NOTIFIED = "notified", _("Not acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ON_THE_WAY = "on_the_way", _("On the way")
    ARRIVED = "arrived", _("Arrived")


class Emergency(models.Model):
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=128)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    area = models.MultiPolygonField(srid=4326)
    area_source = models.CharField(max_length=8, choices=AreaSource.choices)
    audiences = ArrayField(models.CharField(max_length=64), default=list,
                           help_text="who hears it: the zone audiences of the micro-grids it touches")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()
    ack_deadline = models.DateTimeField()
    all_acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    close_note = models.CharField(max_length=500, blank=True)
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                  help_text="the declaring client's key: a retried declaration returns the first")

    class Meta:
        ordering = ["-declared_at"]
        indexes = [models.Index(fields=["status", "-declared_at"])]
        constraints = [models.CheckConstraint(
            name="emergency_closed_has_time", condition=Q(status="active", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class Task(models.Model):
    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="tasks")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="emergency_tasks")
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOTIFIED)
    notified_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    on_the_way_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["emergency_id", "worker_id"]
        constraints = [models.UniqueConstraint(fields=["emergency", "worker"], name="emergency_task_once")]
        indexes = [models.Index(fields=["worker", "status"])]

    def __str__(self) -> str:
        return f"{self.emergency_id}/{self.worker_id} {self.status}"


class ShelterKind(models.TextChoices):
    SHELTER = "shelter", _("Shelter")
    SUPPLIES = "supplies", _("Supplies depot")
    MEDICAL = "medical", _("Medical point")


class Shelter(models.Model):
    """A shelter or resource point: what it can hold and how full it is now."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=ShelterKind.choices, default=ShelterKind.SHELTER)
    location = models.PointField(srid=4326)
    grid_code = models.CharField(max_length=17, db_index=True, help_text="the micro-grid holding it (jurisdiction)")
    capacity = models.PositiveIntegerField()
    occupancy = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(name="shelter_not_over_full", condition=Q(occupancy__lte=models.F("capacity")))]

    def __str__(self) -> str:
        return self.name
