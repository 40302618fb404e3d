"""What the locate API adds to `gridops.core.numbers`: the hint that lon and lat look swapped."""
from __future__ import annotations

# Where a coordinate in or near Chancheng can be: used only to say "lon and lat look swapped".
_DISTRICT_LON = (112.5, 113.6)
_DISTRICT_LAT = (22.5, 23.5)


def looks_swapped(lon: float, lat: float) -> bool:
    """True when (lat, lon) would be near the district although (lon, lat) is not."""
    return _DISTRICT_LON[0] <= lat <= _DISTRICT_LON[1] and _DISTRICT_LAT[0] <= lon <= _DISTRICT_LAT[1]
