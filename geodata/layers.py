"""Tile layers of the spatial core: the zones (town, area, village or micro-grid by zoom).

`ZoneLayer` is geometry only: the same for everyone, public and cached by browsers. A domain app
adds figures per zone by subclassing it and answering `counts()` (the incidents app's
`ZoneCountsLayer` adds open and overdue incidents), so the zone query is written once here.
"""
from __future__ import annotations

from gridops.core.errors import InvalidInput

from .models import Level
from .selectors import generation_from_params, generation_where
from .tiles import BUFFER, ENV, ENV_4326, EXTENT, MAX_ZOOM, Layer, Tile, read_connection

# Zone level shown at each zoom: towns when the whole district fits, micro-grids when close.
ZOOM_LEVELS = ((12, Level.TOWN), (13, Level.AREA), (14, Level.VILLAGE), (MAX_ZOOM, Level.GRID))
TILE_LEVELS = tuple(level for _, level in ZOOM_LEVELS)


def zone_level_for_zoom(z: int) -> int:
    return next(level for top, level in ZOOM_LEVELS if z <= top)


ZONE_VERSION_SQL = "(SELECT count(*) FROM geodata_zone), (SELECT max(id) FROM geodata_zone)"


def zone_version() -> str:
    """The zone table's size and newest id: a re-import or a new survey moves it."""
    with read_connection().cursor() as cursor:
        cursor.execute(f"SELECT {ZONE_VERSION_SQL}")
        count, newest = cursor.fetchone()
    return f"z{count}.{newest or 0}"


class ZoneLayer(Layer):
    """The zone level for the zoom (or `?level=town|area|village|grid`), geometry and attributes."""

    needs_user = False

    def level(self, tile: Tile, request) -> int:
        value = request.GET.get("level")
        if not value:
            return zone_level_for_zoom(tile.z)
        try:
            level = Level.from_name(value)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="level") from None
        if level not in TILE_LEVELS:
            raise InvalidInput("level must be town, area, village or grid", field="level")
        return level

    def version(self, request) -> str:
        return zone_version()

    def generation(self, request):
        """The boundary generation asked for (`?generation=N` / `?date=YYYY-MM-DD`), None: current."""
        return generation_from_params(request.GET)

    def cache_key_parts(self, request) -> list[str]:
        generation = self.generation(request)
        return [request.GET.get("level", ""), "" if generation is None else f"g{generation.pk}"]

    def counts(self, tile: Tile, request, level: int) -> tuple[str, dict, list[str]] | None:
        """Figures per zone, or None for geometry only. A subclass returns the SQL of a relation
        `(zone_id, <columns>...)` that may read `zn` (this tile's zones: `SELECT id FROM zn`), its
        named parameters and the column names; a zone without a row shows 0."""
        return None

    def sql(self, tile: Tile, request) -> tuple[str, dict]:
        level = self.level(tile, request)
        in_generation, generation_params = generation_where("geodata_zone", self.generation(request))
        params = tile.params() | {"level": int(level)}
        if generation_params:
            params["generation"] = generation_params[0]
            in_generation = in_generation.replace("%s", "%(generation)s")
        counts_cte, counts_join, counts_cols = "", "", ""
        counted = self.counts(tile, request, level)
        if counted is not None:
            relation, named, columns = counted
            params.update(named)
            counts_cte = f", counts AS ({relation})"
            counts_join = "LEFT JOIN counts ON counts.zone_id = zn.id"
            counts_cols = "".join(f"coalesce(counts.{c}, 0) AS {c}, " for c in columns)
        query = f"""
        WITH zn AS (SELECT id, code, name, level, residents, area_m2, geom FROM geodata_zone
                    WHERE level = %(level)s AND {in_generation} AND geom && {ENV_4326}){counts_cte}
        SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom', 'id') FROM (
          SELECT zn.id, zn.code, zn.name, zn.level, zn.residents, round(zn.area_m2)::bigint AS area_m2, {counts_cols}
                 ST_AsMVTGeom(ST_Transform(zn.geom, 3857), {ENV}, {EXTENT}, {BUFFER}, true) AS geom
          FROM zn {counts_join}
        ) AS t WHERE t.geom IS NOT NULL"""
        return query, params | {"layer": self.name}
