"""The console map's symbols in one place: the page's legend and markers are drawn from this.

Incidents are circles coloured by status (a red ring when overdue); clusters are slate circles
with their count (red when any is overdue); grid workers are small teal circles. Places from
other layers get a shape of their own and a colour far from all of those (CIE76 ΔE ≥ 20, checked
by tests/realtime/test_palette.py), so a hall is never mistaken for an incident or a worker.
"""
from __future__ import annotations

STATUS_COLOURS = {
    "reported": "#8e24aa", "registered": "#3949ab", "dispatched": "#1e88e5", "in_progress": "#fb8c00",
    "resolved": "#43a047", "verified": "#2e7d32", "closed": "#757575", "returned": "#d81b60", "void": "#bdbdbd",
}
OVERDUE = "#b3261e"
CLUSTER = "#334155"
CLUSTER_OVERDUE = OVERDUE
WORKER = "#5eead4"

# Point layers that are places, not incidents: key → (fill colour, shape drawn by console.css).
PLACES = {
    "centres": ("#facc15", "star"),
    "halls": ("#111111", "square"),
    "schools": ("#c0ca33", "triangle"),
    "stalls": ("#8b4513", "diamond"),
    "checkins": ("#00e5ff", "cross"),
}

# The zone choropleth: (lowest open count, fill) from the top; below the first, no fill colour.
ZONE_FILLS = [(1, "#fde68a"), (3, "#fb923c"), (10, "#ef4444"), (30, "#991b1b")]
ZONE_EMPTY = "#f1f5f9"


def palette() -> dict:
    """What the console's script needs to draw markers and the legend."""
    return {
        "status": STATUS_COLOURS, "overdue": OVERDUE, "cluster": CLUSTER, "clusterOverdue": CLUSTER_OVERDUE,
        "worker": WORKER, "places": {key: {"colour": colour, "shape": shape} for key, (colour, shape) in PLACES.items()},
        "zoneFills": ZONE_FILLS, "zoneEmpty": ZONE_EMPTY,
    }
