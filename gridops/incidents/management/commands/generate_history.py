from django.core.management.base import BaseCommand, CommandError

from gridops.incidents.history import generate_history


class Command(BaseCommand):
    help = "Write a plausible incident history with PostgreSQL COPY (seasonality, hot spots, realistic durations)."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, required=True, help="how many incidents, e.g. 540000")
        parser.add_argument("--years", type=float, default=3.0, help="spread over the last N years (default 3)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same history)")

    def handle(self, *args, incidents, years, seed, **options):
        try:
            report = generate_history(incidents=incidents, years=years, seed=seed,
                                      log=self.stdout.write if options["verbosity"] > 1 else None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
        self.stdout.write("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(report.status_counts.items())))
