from django.core.management.base import BaseCommand, CommandError

from gridops.core.backup import BackupError, backup_database


class Command(BaseCommand):
    help = "Write a custom-format pg_dump of the GridOps database to PATH (restore with `restore`)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            target = backup_database(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written to {target} ({target.stat().st_size} bytes)")
