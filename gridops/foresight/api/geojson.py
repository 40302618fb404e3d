"""Foresight results as RFC 7946 FeatureCollections: one feature per micro-grid the caller may
see, its boundary with counter-clockwise exteriors and six decimals."""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import mapping

PRECISION = 1e-6


def grid_features(grids, mask: np.ndarray, properties) -> dict:
    """`properties(row) -> dict` for each row of `grids.frame` where `mask` holds."""
    frame = grids.frame
    rows = np.flatnonzero(mask)
    geoms = shapely.orient_polygons(shapely.set_precision(frame.geometry.values[rows], PRECISION))
    features = [{"type": "Feature", "id": frame["code"].iat[row], "geometry": mapping(geom),
                 "properties": {"code": frame["code"].iat[row], "name": frame["name"].iat[row], **properties(row)}}
                for row, geom in zip(rows, geoms)]
    return {"type": "FeatureCollection", "features": features}
