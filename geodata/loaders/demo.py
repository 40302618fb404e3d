"""Demo step: load the shipped Chancheng GeoPackage through the same importer a city would use."""
import datetime
from pathlib import Path

from geodata.models import Generation, Zone

from . import zones

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "chancheng_zones.gpkg"
# The demo grid holds from before any generated history (a year back from today), so the history's
# incidents fall inside the first generation's period, not before it.
DEMO_GRID_SINCE = datetime.date(2020, 1, 1)


def load_demo_zones(log) -> None:
    """Skip when zones are loaded (a second `make run` is quick); fail loudly on a bad fixture."""
    if Zone.objects.exists():
        log(f"zones: {Zone.objects.count()} already loaded, skipped")
        return
    report = zones.run(FIXTURE, level="all", commit=True, valid_from=DEMO_GRID_SINCE)
    if not report.ok:
        raise RuntimeError("zones fixture did not load:\n" + "\n".join(report.lines()))
    # `migrate` opened generation 1 on its own day; the demo's first (only) one holds from before.
    Generation.objects.filter(valid_to__isnull=True, valid_from__gt=DEMO_GRID_SINCE).update(valid_from=DEMO_GRID_SINCE)
    log(f"zones: loaded {report.created} zones and {report.centres} command centres from {FIXTURE.name}")
