"""Load the service halls, counters and terminals (dry run unless --commit)."""
from django.core.management.base import BaseCommand, CommandError

from gridops.approvals.catalogue import DEFAULT_DIR
from gridops.approvals.network import load_service_network


class Command(BaseCommand):
    help = "Validate fixtures/approvals/halls.csv (+ one station per village) and, with --commit, load them."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_DIR / "halls.csv"))
        parser.add_argument("--no-stations", action="store_true", help="Do not generate village stations.")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, **options):
        report = load_service_network(options["file"], stations=not options["no_stations"],
                                      commit=options["commit"], log=self.stderr.write)
        self.stdout.write(report.summary("service network"))
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s); nothing loaded")
