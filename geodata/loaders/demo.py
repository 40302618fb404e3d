"""Demo step: load the shipped Chancheng GeoPackage through the same importer a city would use."""
from pathlib import Path

from geodata.models import Zone

from . import zones

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "chancheng_zones.gpkg"


def load_demo_zones(log) -> None:
    """Skip when zones are loaded (a second `make run` is quick); fail loudly on a bad fixture."""
    if Zone.objects.exists():
        log(f"zones: {Zone.objects.count()} already loaded, skipped")
        return
    report = zones.run(FIXTURE, level="all", commit=True)
    if not report.ok:
        raise RuntimeError("zones fixture did not load:\n" + "\n".join(report.lines()))
    log(f"zones: loaded {report.created} zones and {report.centres} command centres from {FIXTURE.name}")
