"""Worker positions (weekly, on recorded_at) and incident transitions (monthly, on at) become
partitioned tables (gridops/core/partitioning.py holds the table of what is partitioned and why)."""
from django.db import migrations

from gridops.core.partitioning import convert_to_partitioned


def forwards(apps, schema_editor):
    convert_to_partitioned("incidents_workerposition", schema_editor)
    convert_to_partitioned("incidents_incidenttransition", schema_editor)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_incident_captured_at"), ("core", "0002_pg_partman")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
