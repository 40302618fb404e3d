from django.core.management.base import BaseCommand

from gridops.incidents.services.escalation import escalate_overdue


class Command(BaseCommand):
    help = "Run the escalation sweep once (the worker runs it continuously); safe to repeat."

    def handle(self, *args, **options):
        self.stdout.write(f"escalated {escalate_overdue()} incident(s)")
