"""Reads of the spatial core, one module per job:

- `generations`: which boundary generation a read serves (`?generation=N` / `?date=`), and the
  SQL condition that says so;
- `locate`: where a point belongs (micro-grid, zone chain, command centre), one statement;
- `zones`: zones and command centres as GeoJSON, by code, up and down the tree, their ETag;
- `places`: a zone named in an address (our only gazetteer is the zone tree).

Callers import from `geodata.selectors`; the names below are its public surface.
"""
from .generations import (
    CURRENT_SQL, GENERATION_PARAMS, IN_GENERATION_SQL, generation_asked, generation_from_params, generation_in_force_at,
    generation_where, generations_list,
)
from .locate import (
    LOCATE_MANY_SQL, LOCATE_ONE_SQL, GridTown, LocateResult, locate_many, locate_many_as_dicts,
    locate_many_grid_town, locate_point, locate_point_as_dict,
)
from .places import NAMED_PLACE_SQL, NamedPlace, place_named_in
from .zones import (
    LEVEL_NAMES, command_centres_feature_collection, etag_for, level_name_sql, zone_by_code, zone_chain,
    zone_children_count, zone_extent, zones_feature_collection, zones_version,
)

__all__ = [
    "CURRENT_SQL", "GENERATION_PARAMS", "GridTown", "IN_GENERATION_SQL", "LEVEL_NAMES", "LOCATE_MANY_SQL", "LOCATE_ONE_SQL",
    "NAMED_PLACE_SQL", "LocateResult", "NamedPlace", "command_centres_feature_collection", "etag_for",
    "generation_asked", "generation_from_params", "generation_in_force_at", "generation_where", "generations_list",
    "level_name_sql", "locate_many", "locate_many_as_dicts", "locate_many_grid_town", "locate_point", "locate_point_as_dict", "place_named_in",
    "zone_by_code", "zone_chain", "zone_children_count", "zone_extent", "zones_feature_collection", "zones_version",
]
