from django.core.management.base import BaseCommand, CommandError

from gridops.sensors.keys import key_issue
from gridops.sensors.models import Device


class Command(BaseCommand):
    help = "Issue an HTTP key for a device (shown once; revoke it in the admin)."

    def add_arguments(self, parser):
        parser.add_argument("device", help="the device code")

    def handle(self, *args, device, **options):
        found = Device.objects.filter(code=device).first()
        if found is None:
            raise CommandError(f"no device {device!r}")
        self.stdout.write(key_issue(found))
