from django.core.management.base import BaseCommand, CommandError

from gridops.core.demo import SEED_CLOSURE_RATE
from gridops.incidents.history import generate_history


class Command(BaseCommand):
    help = "Write a plausible incident history with PostgreSQL COPY (seasonality, hot spots, realistic durations)."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, required=True, help="how many incidents, e.g. 540000")
        parser.add_argument("--years", type=float, default=3.0, help="spread over the last N years (default 3)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same history)")
        parser.add_argument("--closure-rate", type=float, default=SEED_CLOSURE_RATE,
                            help="办结率 to reproduce, e.g. 0.9856 (the seed's, default); 0 leaves durations alone")

    def handle(self, *args, incidents, years, seed, closure_rate, **options):
        try:
            report = generate_history(incidents=incidents, years=years, seed=seed, closure_rate=closure_rate or None,
                                      log=self.stdout.write if options["verbosity"] > 1 else None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
        self.stdout.write("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(report.status_counts.items())))
