"""Case numbers come from one sequence: unique across halls and channels without a lock."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS approvals_case_number_seq",
            "DROP SEQUENCE IF EXISTS approvals_case_number_seq",
        ),
    ]
