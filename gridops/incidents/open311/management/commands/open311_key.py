"""Issue, list and revoke Open311 API keys: `manage.py open311_key create "城市通 app"`,
`manage.py open311_key list`, `manage.py open311_key revoke <prefix>`.

The key is printed once, when it is created; only its prefix and hash are stored.
"""
from django.core.management.base import BaseCommand, CommandError

from gridops.incidents.open311 import keys


class Command(BaseCommand):
    help = "Issue (create), list or revoke Open311 API keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a key for a client app; prints it once")
        create.add_argument("name", help="the client app the key is for")
        create.add_argument("--days", type=int, default=None, help="expire after this many days")
        sub.add_parser("list", help="every key: prefix, client, state")
        revoke = sub.add_parser("revoke", help="revoke a key for good")
        revoke.add_argument("prefix", help="the key's prefix (the part before the dot)")

    def handle(self, *args, action, **options):
        try:
            if action == "create":
                key, raw = keys.key_issue(name=options["name"], days=options["days"])
                self.stdout.write(f"{raw}\n")
                self.stderr.write(f"Issued Open311 key {key.prefix} for {key.name!r}; it is not shown again.")
            elif action == "list":
                for row in keys.key_rows():
                    self.stdout.write("\t".join(str(v) for v in row))
            else:
                key = keys.key_revoke(prefix=options["prefix"])
                self.stdout.write(f"revoked {key.prefix} ({key.name})")
        except keys.UnknownKey as exc:
            raise CommandError(str(exc)) from None
