"""Import schools from a GeoPackage, GeoJSON or CSV file (a dry run unless --commit)."""
from django.core.management.base import BaseCommand, CommandError

from gridops.education.loaders import import_schools


class Command(BaseCommand):
    help = "Import schools (code, name, level, point, per-grade seats); reports every problem."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--commit", action="store_true", help="write the schools (default: only check)")

    def handle(self, *args, path, commit, **options):
        report = import_schools(path, commit=commit, log=self.stdout.write)
        for problem in report.problems:
            self.stderr.write(str(problem))
        self.stdout.write(f"{report.features} features, {len(report.problems)} problems, committed: {report.committed}")
        if report.problems:
            raise CommandError("nothing imported")
