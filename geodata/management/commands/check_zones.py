"""Check the hierarchy's invariants in PostGIS; prints each violation and exits non-zero if any."""
from django.core.management.base import BaseCommand, CommandError

from geodata import checks


class Command(BaseCommand):
    help = "Counts per level, validity, nesting, sibling overlap, coverage and the district's area."

    def handle(self, *args, **options):
        violations = checks.run_checks()
        for v in violations:
            self.stdout.write(str(v))
        if violations:
            raise CommandError(f"{len(violations)} violations")
        self.stdout.write("zones: all checks passed")
