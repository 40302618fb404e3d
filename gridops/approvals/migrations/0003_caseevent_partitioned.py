"""The approval cases' audit trail becomes partitioned by month on `at`; the cases and tickets
stay plain tables, being referenced by foreign keys (gridops/core/partitioning.py says why)."""
from django.db import migrations

from gridops.core.partitioning import convert_to_partitioned


def forwards(apps, schema_editor):
    convert_to_partitioned("approvals_caseevent", schema_editor)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_case_number_sequence"), ("core", "0002_pg_partman")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
