"""Sign a tree head now (the worker does it every minute when the log grew)."""
from django.core.management.base import BaseCommand

from gridops.ledger.services.log import sign_head


class Command(BaseCommand):
    help = "Sign the current tree head."

    def handle(self, *args, **options):
        head = sign_head()
        self.stdout.write(f"signed tree head: size {head.tree_size}, root {bytes(head.root_hash).hex()}")
