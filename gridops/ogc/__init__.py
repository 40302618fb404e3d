"""OGC API – Features (Part 1 Core, GeoJSON, HTML; Part 2 CRS by reference) and OGC API – Tiles
metadata at /ogc/, a thin layer over the apps' own querysets (see README, "OGC API").

A page-layer app: it owns no data. The collections are named in settings
(`GRIDOPS_OGC_COLLECTIONS`, by dotted path), so this app imports no domain app; the tile
layers come from the tile server's registry (`geodata.tiles.LAYERS`).
"""
