"""Export zones as a GeoPackage, or a directory of GeoJSON or Shapefile files, one per level."""
from django.core.management.base import BaseCommand, CommandError

from geodata.loaders import zones


class Command(BaseCommand):
    help = "Write zones in the layout import_zones reads (all levels and command centres by default)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .gpkg file, or the directory for geojson/shp")
        parser.add_argument("--format", dest="fmt", choices=sorted(zones.FORMATS), default="gpkg")
        parser.add_argument("--level", action="append", dest="levels", help="repeat for several; default all")

    def handle(self, *args, path, fmt, levels, **options):
        try:
            written = zones.export(path, fmt=fmt, levels=levels)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for target in written:
            self.stdout.write(f"wrote {target}")
