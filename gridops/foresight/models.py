"""Early warnings: a micro-grid whose forecast or trend crosses a threshold (issue 17, 预判).

A warning carries the zone chain of its grid under the same field names as an incident
(`town`, `area`, `village`, `grid`), so the one jurisdiction definition
(`gridops.incidents.jurisdiction`) selects the warnings a centre may see with the very
conditions that select its incidents, and pushes them to the same audiences.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Trend(models.TextChoices):
    """Emerging hot-spot patterns (the categories of ArcGIS's Emerging Hot Spot Analysis)."""

    NONE = "", _("无显著模式")
    NEW = "new", _("新热点")
    CONSECUTIVE = "consecutive", _("连续热点")
    INTENSIFYING = "intensifying", _("加剧热点")
    PERSISTENT = "persistent", _("持续热点")
    DIMINISHING = "diminishing", _("减弱热点")
    SPORADIC = "sporadic", _("零星热点")
    OSCILLATING = "oscillating", _("振荡热点")
    HISTORICAL = "historical", _("历史热点")


class EarlyWarning(models.Model):
    grid = models.ForeignKey("geodata.Zone", on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("geodata.Zone", null=True, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey("geodata.Zone", null=True, on_delete=models.CASCADE, related_name="+")
    town = models.ForeignKey("geodata.Zone", null=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("incidents.Category", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+", help_text="empty: all categories together")
    week = models.DateField(help_text="Monday (Asia/Shanghai) of the week forecast")
    forecast = models.FloatField()
    usual = models.FloatField(help_text="the grid's mean weekly count over the history used")
    trend = models.CharField(max_length=16, choices=Trend.choices, blank=True)
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-week", "-forecast"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "category", "week"], name="foresight_one_warning_per_week",
                                    nulls_distinct=False),
        ]
        indexes = [models.Index(fields=["week", "acknowledged_at"])]

    def __str__(self):
        return f"{self.grid_id} {self.week}: {self.reason}"
