"""pg_partman (Debian's postgresql-15-partman) in its own schema: it creates the time partitions
ahead and drops expired ones (gridops/core/partitioning.py). A plain CREATE EXTENSION, no
background worker, so a test database needs nothing in postgresql.conf."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SCHEMA IF NOT EXISTS partman; CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;",
            reverse_sql="DROP EXTENSION IF EXISTS pg_partman; DROP SCHEMA IF EXISTS partman CASCADE;",
        ),
    ]
