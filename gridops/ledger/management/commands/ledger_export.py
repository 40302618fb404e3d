"""Write the log (entries, restricted leaves as hashes, and every signed head) as JSON."""
import json

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand

from gridops.ledger.selectors import export_log


class Command(BaseCommand):
    help = "Export the ledger for `python -m gridops.ledger.verify` (public view: restricted leaves hashed)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="output file ('-' for standard output)")

    def handle(self, *args, path, **options):
        text = json.dumps(export_log(AnonymousUser()), ensure_ascii=False, default=str)
        if path == "-":
            self.stdout.write(text)
        else:
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
            self.stdout.write(f"wrote {path}")
