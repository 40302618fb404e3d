from django.core.management.base import BaseCommand, CommandError

from gridops.core.backup import BackupError, restore_database


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into an empty database (default: the configured one)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--database-name", help="restore into this (empty) database instead")

    def handle(self, *args, path, database_name=None, **options):
        try:
            restore_database(path, database=database_name)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {path} into {database_name or 'the configured database'}")
