from django.core.management.base import BaseCommand

from gridops.core.partitioning import maintain


class Command(BaseCommand):
    help = ("Create the time partitions ahead and drop expired ones (pg_partman); the background "
            "workers run it hourly.")

    def handle(self, *args, **options):
        maintain()
