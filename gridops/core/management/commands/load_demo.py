from django.core.management.base import BaseCommand

from gridops.core.demo import run_demo_steps


class Command(BaseCommand):
    help = "Load the demo district (zones, catalogues, accounts, history); skips what is already loaded."

    def handle(self, *args, **options):
        run_demo_steps(log=self.stdout.write)
