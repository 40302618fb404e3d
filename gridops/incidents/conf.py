"""Settings of the incidents app, read in one place (tests override them with `settings`)."""
from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def duplicate_radius_m() -> float:
    """A new report of the same type this close to an open incident is suggested as a duplicate."""
    return float(_get("GRIDOPS_DUPLICATE_RADIUS_M", 50.0))


def duplicate_window_hours() -> float:
    """...if that open incident was reported within this many hours."""
    return float(_get("GRIDOPS_DUPLICATE_WINDOW_HOURS", 24.0))


def auto_dispatch_max_accuracy_m() -> float:
    """A position less certain than this is not trusted for automatic routing (a human checks)."""
    return float(_get("GRIDOPS_AUTO_DISPATCH_MAX_ACCURACY_M", 100.0))


def photo_max_bytes() -> int:
    return int(_get("GRIDOPS_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def photos_per_incident() -> int:
    return int(_get("GRIDOPS_PHOTOS_PER_INCIDENT", 9))


def escalation_batch() -> int:
    """Incidents escalated per sweep transaction (the rest wait for the next tick)."""
    return int(_get("GRIDOPS_ESCALATION_BATCH", 500))


def priority_deadline_hours() -> dict[str, tuple[float, float]]:
    """(response, resolution) hours per priority when a type gives none (city regulations)."""
    return _get("GRIDOPS_PRIORITY_DEADLINE_HOURS", {
        "urgent": (0.5, 4.0),
        "important": (2.0, 24.0),
        "normal": (4.0, 72.0),
    })


def position_retention_days() -> int:
    """Grid workers' position pings are kept this many days (their weekly partitions are dropped
    whole by pg_partman, gridops/core/partitioning.py); 0 keeps them all."""
    return int(_get("GRIDOPS_POSITION_RETENTION_DAYS", 90))


def tiles_point_min_zoom() -> int:
    """From this zoom on the incident tile layer draws points; below it, clusters."""
    return int(_get("GRIDOPS_TILES_POINT_MIN_ZOOM", 14))


def tiles_cluster_cells() -> int:
    """Clusters per tile side at small zooms (a 256 px tile with 8 cells = 32 px per cluster)."""
    return int(_get("GRIDOPS_TILES_CLUSTER_CELLS", 8))
