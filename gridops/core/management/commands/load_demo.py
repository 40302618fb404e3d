from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridops.core.demo import run_demo_steps


class Command(BaseCommand):
    help = "Load the demo district (zones, catalogues, accounts, history); skips what is already loaded."

    def handle(self, *args, **options):
        # Demo accounts have published passwords: production settings refuse to create them.
        if not getattr(settings, "GRIDOPS_ALLOW_DEMO", True):
            raise CommandError("the demo district and its accounts are never loaded with production settings")
        run_demo_steps(log=self.stdout.write)
