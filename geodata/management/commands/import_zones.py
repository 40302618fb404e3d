"""Import zones from a GeoPackage, Shapefile or GeoJSON; a dry run unless --commit."""
from django.core.management.base import BaseCommand, CommandError

from geodata.loaders import zones


class Command(BaseCommand):
    help = "Validate (and with --commit, upsert in one transaction) zones from a file; never prompts."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .gpkg, .shp or .geojson file, or a directory of per-level files")
        parser.add_argument("--level", required=True, help="district, town, area, village, grid or all")
        parser.add_argument("--commit", action="store_true", help="write the zones (otherwise only report)")

    def handle(self, *args, path, level, commit, **options):
        try:
            report = zones.run(path, level=level, commit=commit)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"{len(report.errors)} errors; nothing was changed")
