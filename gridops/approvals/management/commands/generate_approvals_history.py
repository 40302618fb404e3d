"""Generate a multi-year history of approval cases with COPY (see gridops.approvals.history)."""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from gridops.approvals.history import HistoryRequest, generate_history
from gridops.core.errors import GridOpsError


DEFAULTS = HistoryRequest(cases=1)  # the generator's defaults, in one place


class Command(BaseCommand):
    help = "Write N generated cases over Y years (log-normal counter times, given satisfaction rate)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--years", type=float, default=1.0)
        parser.add_argument("--end", type=date.fromisoformat, default=None, help="Last day (default yesterday).")
        parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
        parser.add_argument("--median-handling-minutes", type=float, default=DEFAULTS.median_handling_minutes)
        parser.add_argument("--handling-spread", type=float, default=DEFAULTS.handling_spread,
                            help="sigma of the log-normal handling time")
        parser.add_argument("--median-wait-minutes", type=float, default=DEFAULTS.median_wait_minutes)
        parser.add_argument("--satisfaction-rate", type=float, default=DEFAULTS.satisfaction_rate)

    def handle(self, *args, **options):
        request = HistoryRequest(
            cases=options["cases"], years=options["years"], end=options["end"], seed=options["seed"],
            median_handling_minutes=options["median_handling_minutes"], handling_spread=options["handling_spread"],
            median_wait_minutes=options["median_wait_minutes"], satisfaction_rate=options["satisfaction_rate"],
        )
        try:
            result = generate_history(request, log=self.stderr.write)
        except GridOpsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{result['cases']} cases {result['start']}..{result['end']} in {result['seconds']:.1f}s")
