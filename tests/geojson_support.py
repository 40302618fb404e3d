"""RFC 7946 checks of GeoJSON outputs with a third-party validator (`geojson-validator`).

Structure (RFC 7946 members, no `crs`) and geometry: rings closed, enough nodes, exterior rings
counter-clockwise and holes clockwise. Returns the number of features checked so a test can
say it checked something.
"""
from __future__ import annotations

import json

from geojson_validator import configure_logging, validate_geometries, validate_structure

configure_logging(enabled=False)


def assert_rfc7946(document) -> int:
    if isinstance(document, (bytes, str)):
        document = json.loads(document)
    structure = validate_structure(document, check_crs=True)
    assert structure == {}, structure
    geometries = validate_geometries(document, criteria_problematic=())
    assert geometries["invalid"] == {}, geometries["invalid"]
    assert not geometries["skipped_validation"], geometries["skipped_validation"]
    return sum(geometries["count_geometry_types"].values())
