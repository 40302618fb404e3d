"""The console's symbols (gridops/realtime/palette.py): places are told apart from incidents,
clusters and grid workers by shape and by a colour at least ΔE 20 (CIE76) from all of theirs."""
import itertools

import pytest

from gridops.incidents.models import Status
from gridops.realtime import palette

MIN_DELTA_E = 20


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB → CIELAB (D65), enough for telling colours apart."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in rgb]
    x = (r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047
    y = r * 0.2126 + g * 0.7152 + b * 0.0722
    z = (r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(a: str, b: str) -> float:
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b))) ** 0.5


def test_every_status_has_a_colour():
    assert set(palette.STATUS_COLOURS) == set(Status.values)


INCIDENT_LIKE = {**{f"status {k}": v for k, v in palette.STATUS_COLOURS.items()},
                 "overdue": palette.OVERDUE, "cluster": palette.CLUSTER, "worker": palette.WORKER}


@pytest.mark.parametrize("place", sorted(palette.PLACES))
def test_places_are_far_from_incident_cluster_and_worker_colours(place):
    colour, shape = palette.PLACES[place]
    assert shape != "circle"   # circles are incidents, clusters and workers
    for name, other in INCIDENT_LIKE.items():
        assert delta_e(colour, other) >= MIN_DELTA_E, (place, name, round(delta_e(colour, other), 1))


def test_places_differ_from_each_other_by_shape():
    shapes = [shape for _, shape in palette.PLACES.values()]
    assert len(set(shapes)) == len(shapes)
    for (a, (ca, _)), (b, (cb, _)) in itertools.combinations(palette.PLACES.items(), 2):
        assert delta_e(ca, cb) >= MIN_DELTA_E, (a, b)

