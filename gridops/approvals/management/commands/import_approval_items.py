"""Import the approval item catalogue (dry run unless --commit)."""
from django.core.management.base import BaseCommand, CommandError

from gridops.approvals.catalogue import DEFAULT_DIR, import_catalogue


class Command(BaseCommand):
    help = "Validate fixtures/approvals/{documents,items}.csv and, with --commit, import them."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(DEFAULT_DIR))
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, **options):
        report = import_catalogue(options["dir"], commit=options["commit"], log=self.stderr.write)
        self.stdout.write(report.summary("approval catalogue"))
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s); nothing imported")
