"""Write a planner view (schools, catchments, grids, members) as GeoPackage, GeoJSON or CSV."""
from pathlib import Path

from django.core.management.base import BaseCommand

from gridops.education.exports import FORMATS, VIEWS, export_view
from gridops.education.projection import projection_from
from gridops.education.selectors import plan_or_published


class Command(BaseCommand):
    help = "Export an education view for QGIS."

    def add_arguments(self, parser):
        parser.add_argument("view", choices=sorted(VIEWS))
        parser.add_argument("out", help="output file; its suffix picks the format (.gpkg, .geojson, .csv)")
        parser.add_argument("--plan", help="plan id (the published plan by default)")
        parser.add_argument("--year", help="projection year")

    def handle(self, *args, view, out, plan, year, **options):
        fmt = Path(out).suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            fmt = "gpkg"
        content, _, _ = export_view(view, fmt, plan_or_published(plan), projection_from({"year": year}))
        Path(out).write_bytes(content)
        self.stdout.write(f"wrote {out} ({len(content)} bytes)")
