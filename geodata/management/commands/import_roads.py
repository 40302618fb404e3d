"""Import a road network (OSM extract: GeoPackage, Shapefile, GeoJSON); a dry run unless --commit."""
from django.core.management.base import BaseCommand, CommandError

from geodata.loaders import roads


class Command(BaseCommand):
    help = "Build the road graph's topology from a file of lines and (with --commit) replace the graph; never prompts."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .gpkg, .shp or .geojson file of road lines (any CRS)")
        parser.add_argument("--layer", help="the layer to read (default: the file's first)")
        parser.add_argument("--node-intersections", action="store_true",
                            help="join lines wherever they cross (for data drawn without shared junction vertices)")
        parser.add_argument("--commit", action="store_true", help="replace the road graph (otherwise only report)")

    def handle(self, *args, path, layer, node_intersections, commit, **options):
        report = roads.run(path, commit=commit, node_intersections=node_intersections, layer=layer)
        self.stdout.write(report.summary(f"roads from {path}:"))
        for problem in report.problems:
            self.stdout.write(str(problem))
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problems; nothing was changed")
