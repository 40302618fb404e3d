"""Spatial-core settings, read in one place so tests can override them."""
from django.conf import settings


def locate_batch_limit() -> int:
    return int(getattr(settings, "GRIDOPS_LOCATE_BATCH_LIMIT", 10_000))


def zone_extent() -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees that every imported zone must lie in: a file in the
    wrong CRS (metres read as degrees, or degrees read as metres) lands far outside it."""
    return tuple(getattr(settings, "GRIDOPS_ZONE_EXTENT", (73.0, 3.0, 136.0, 54.0)))


def tile_layers() -> dict[str, str]:
    """The vector tile layers by URL name, as dotted paths of `geodata.tiles.Layer` classes
    (pygeoapi-style providers: the spatial core serves tiles and knows no domain app; the domain
    apps' layers are named in settings). Geometry-only zones when nothing is configured."""
    return dict(getattr(settings, "GRIDOPS_TILE_LAYERS", None) or {"zones": "geodata.layers.ZoneLayer"})


def tiles_public_max_age() -> int:
    """Seconds a browser or proxy may keep a tile that is the same for everyone."""
    return int(getattr(settings, "GRIDOPS_TILES_PUBLIC_MAX_AGE", 3600))


def tiles_server_cache() -> int:
    """Seconds rendered tile bytes are kept in the Redis cache under their ETag."""
    return int(getattr(settings, "GRIDOPS_TILES_SERVER_CACHE", 600))


def tiles_process_cache_bytes() -> int:
    """Bytes of rendered tiles each server process also keeps in memory under their ETag (0: none).
    A warm tile then costs no Redis round trip; the ETag holds the data version, so a kept tile is
    never stale, and the bound keeps a worker's memory in check."""
    return int(getattr(settings, "GRIDOPS_TILES_PROCESS_CACHE_BYTES", 32 * 1024 * 1024))
