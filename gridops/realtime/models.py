"""The event log behind every live push.

Each push is first a row here, written in the same transaction as the change it reports, so the
bigserial id is the cursor a reconnecting client sends back (`?last_id=N`) to get what it missed.
Redis only carries the live copy; this table is the truth.
"""
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=64, help_text="Dotted kind: incident.created, hall.queue, ...")
    payload = models.JSONField(default=dict)
    audiences = ArrayField(
        models.CharField(max_length=64),
        help_text="Audience names (district, town.<code>, dept.<code>, grid.<code>, user.<id>, ...).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [GinIndex(fields=["audiences"], name="realtime_event_audiences_gin")]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind}"
