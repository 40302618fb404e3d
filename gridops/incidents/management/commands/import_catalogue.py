from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridops.incidents.catalogue import DEMO_DIR, import_catalogue


class Command(BaseCommand):
    help = "Validate (and with --commit, load) a catalogue directory: departments, categories, event types."

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default=str(DEMO_DIR))
        parser.add_argument("--commit", action="store_true", help="write the catalogue (default: dry run)")

    def handle(self, *args, directory, commit, **options):
        report = import_catalogue(Path(directory), commit=commit)
        for problem in report.problems:
            self.stderr.write(str(problem))
        self.stdout.write(report.summary())
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s); nothing was changed")
