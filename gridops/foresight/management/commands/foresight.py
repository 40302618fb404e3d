"""`manage.py foresight backtest|warn`: the forecast's backtest table, or this week's warning sweep."""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from gridops.foresight import reports


class Command(BaseCommand):
    help = "Foresight: `backtest` prints forecast vs seasonal-naive error per category; `warn` raises warnings."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["backtest", "warn"])
        parser.add_argument("--until", type=date.fromisoformat, default=None,
                            help="the week holding this date is forecast (default this week)")

    def handle(self, *args, action, until, **options):
        try:
            text = reports.backtest_table(until=until) if action == "backtest" else reports.warn(until=until)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(text)
