"""A trigram index for the operators' address search (`?q=`, `address__icontains`).

Built CONCURRENTLY (a non-atomic migration): the incident table is large and takes reports all
day, and a plain CREATE INDEX would hold up every insert while it builds.
"""
import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('incidents', '0005_partitioned_history'),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name='incident',
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('address'),
                                                        name='gin_trgm_ops'),
                name='incident_address_trgm'),
        ),
    ]
