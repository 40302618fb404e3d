"""Print a new Ed25519 signing key for GRIDOPS_LEDGER_SIGNING_KEY and its public key."""
import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand

from gridops.ledger import verify


class Command(BaseCommand):
    help = "Generate a ledger signing key (print it; store it only in the production environment)."

    def add_arguments(self, parser):
        parser.add_argument("--public-only", action="store_true", help="print the public key of the configured key")

    def handle(self, *args, **options):
        if options["public_only"]:
            from gridops.ledger.selectors import public_key_json

            self.stdout.write(public_key_json()["public_key"])
            return
        key = Ed25519PrivateKey.generate()
        private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        public = key.public_key()
        self.stdout.write(f"GRIDOPS_LEDGER_SIGNING_KEY={base64.b64encode(private).decode()}")
        self.stdout.write(f"# public key (publish it): {base64.b64encode(verify.public_key_raw(public)).decode()}")
        self.stdout.write(f"# key id: {verify.key_id(public)}")
