"""Demo step: load the shipped Chancheng GeoPackage (placeholder until the loader lands)."""


def load_demo_zones(log) -> None:
    log("zones: not yet available")
