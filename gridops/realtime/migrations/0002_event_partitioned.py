"""realtime_event becomes partitioned by day on created_at; expired days are dropped whole
(gridops/core/partitioning.py holds the table of what is partitioned and why)."""
from django.db import migrations

from gridops.core.partitioning import convert_to_partitioned


def forwards(apps, schema_editor):
    convert_to_partitioned("realtime_event", schema_editor)


class Migration(migrations.Migration):
    dependencies = [("realtime", "0001_initial"), ("core", "0002_pg_partman")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
