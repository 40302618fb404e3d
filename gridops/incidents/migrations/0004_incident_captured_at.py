"""The device's capture time, kept beside the server's reported_at (issue 11, finding 5)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0003_eventtype_changeset'),
    ]

    operations = [
        migrations.AddField(
            model_name='incident',
            name='captured_at',
            field=models.DateTimeField(blank=True, help_text='When the reporting device says it saw the problem (its clock).', null=True),
        ),
    ]
