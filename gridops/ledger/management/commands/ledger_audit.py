"""Recompute the ledger from its stored entries; exit non-zero naming every mismatch."""
from django.core.management.base import BaseCommand, CommandError

from gridops.ledger.audit import audit_log


class Command(BaseCommand):
    help = "Recompute the Merkle tree from the stored entries and check every node and signed head."

    def handle(self, *args, **options):
        report = audit_log(log=lambda m: self.stdout.write(m) if options["verbosity"] > 1 else None)
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(problem))
        if not report.ok:
            raise CommandError(f"ledger audit FAILED: {len(report.problems)} problem(s); tampered entries: "
                               + (", ".join(f"#{i}" for i in sorted(report.bad_entries)) or "none named"))
        self.stdout.write(self.style.SUCCESS(
            f"ledger audit OK: {report.entries} entries, {report.nodes} nodes, {report.heads} signed heads"))
