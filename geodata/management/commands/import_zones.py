"""Import zones from a GeoPackage, Shapefile or GeoJSON; a dry run unless --commit.

A redrawn grid (ground or tree changed) is written as a new boundary generation; the old one stays
queryable (`?generation=` / `?date=` on the zones API, tiles, locate and the OGC collections)."""
import datetime

from django.core.management.base import BaseCommand, CommandError

from geodata.loaders import zones


class Command(BaseCommand):
    help = "Validate (and with --commit, write in one transaction) zones from a file; never prompts."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .gpkg, .shp or .geojson file, or a directory of per-level files")
        parser.add_argument("--level", required=True, help="district, town, area, village, grid or all")
        parser.add_argument("--commit", action="store_true", help="write the zones (otherwise only report)")
        parser.add_argument("--generation", choices=zones.GENERATION_CHOICES, default="auto",
                            help="auto: a new generation when the file redraws the grid; new: always; "
                                 "current: correct the current generation in place")
        parser.add_argument("--valid-from", type=datetime.date.fromisoformat, default=None,
                            help="YYYY-MM-DD the new generation is in force from (default today)")
        parser.add_argument("--description", default="", help="what the new generation is (e.g. 2027 redraw)")

    def handle(self, *args, path, level, commit, generation, valid_from, description, **options):
        try:
            report = zones.run(path, level=level, commit=commit, generation=generation,
                               valid_from=valid_from, description=description)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"{len(report.errors)} errors; nothing was changed")
