"""The fixed documents: conformance classes, the WebMercatorQuad tile matrix set, tilesets, and
the OpenAPI description (built from the registered collections, so it never lists a path the
server does not answer)."""
from __future__ import annotations

from geodata.tiles import MAX_ZOOM, WORLD_M

from .crs import supported
from .params import DEFAULT_LIMIT, MAX_LIMIT

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]

TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MERCATOR = "http://www.opengis.net/def/crs/EPSG/0/3857"
TILE = 256
PIXEL_M = 0.00028  # the standardised rendering pixel of OGC scale denominators


def web_mercator_quad() -> dict:
    """The OGC 2D-TMS definition of WebMercatorQuad, zoom 0..MAX_ZOOM of the tile server."""
    origin = WORLD_M / 2
    matrices = []
    for z in range(MAX_ZOOM + 1):
        cell = WORLD_M / TILE / 2 ** z
        matrices.append({"id": str(z), "scaleDenominator": cell / PIXEL_M, "cellSize": cell,
                         "cornerOfOrigin": "topLeft", "pointOfOrigin": [-origin, origin],
                         "tileWidth": TILE, "tileHeight": TILE, "matrixWidth": 2 ** z, "matrixHeight": 2 ** z})
    return {"id": "WebMercatorQuad", "title": "Google Maps Compatible for the World", "uri": TMS_URI,
            "crs": MERCATOR, "orderedAxes": ["X", "Y"], "tileMatrices": matrices}


def tileset(base: str, layer: str, cid: str) -> dict:
    """A collection's vector tileset: where the tile server already serves its layer."""
    template = f"{base}/tiles/{layer}/{{tileMatrix}}/{{tileCol}}/{{tileRow}}.pbf"
    return {
        "title": f"{cid} ({layer} vector tiles)", "dataType": "vector", "crs": MERCATOR, "tileMatrixSetURI": TMS_URI,
        "layers": [{"id": layer, "dataType": "vector"}],
        "links": [
            {"rel": "self", "type": "application/json", "href": f"{base}/ogc/collections/{cid}/tiles/WebMercatorQuad"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": "application/json",
             "href": f"{base}/ogc/tileMatrixSets/WebMercatorQuad"},
            {"rel": "item", "type": "application/vnd.mapbox-vector-tile", "href": template, "templated": True},
        ],
    }


def _param(name: str, schema: dict, description: str, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": schema, "description": description}


# Zone collections are versioned by boundary generation (geodata.selectors.generation_from_params).
GENERATION_DOCS = [
    _param("generation", {"type": "integer", "minimum": 1}, "boundary generation (default: the current one)"),
    _param("date", {"type": "string", "format": "date"}, "the boundary generation in force on this day"),
]


def openapi(base: str, collections) -> dict:
    crs_enum = {"type": "string", "enum": list(supported())}
    item_params = [
        _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, "page size"),
        _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "features to skip (follow the next link)"),
        _param("bbox", {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}, "bounding box"),
        _param("bbox-crs", crs_enum, "CRS of bbox"), _param("crs", crs_enum, "CRS of the response"),
        _param("datetime", {"type": "string"}, "RFC 3339 instant or interval"),
        _param("f", {"type": "string", "enum": ["json", "html"]}, "format"),
    ]
    paths = {"/": {"get": {"summary": "landing page"}}, "/conformance": {"get": {"summary": "conformance"}},
             "/collections": {"get": {"summary": "collections"}},
             "/tileMatrixSets/WebMercatorQuad": {"get": {"summary": "tile matrix set"}}}
    for c in collections:
        props = [_param(name, {"type": "string"}, f"equals {name}") for name in c.queryables]
        versions = GENERATION_DOCS if c.has_generations else []
        paths[f"/collections/{c.id}"] = {"get": {"summary": c.title}}
        paths[f"/collections/{c.id}/items"] = {"get": {"summary": f"features of {c.title}",
                                                       "parameters": item_params + props + versions}}
        paths[f"/collections/{c.id}/items/{{featureId}}"] = {"get": {
            "summary": f"one feature of {c.title}",
            "parameters": [_param("featureId", {"type": "string"}, "feature id", "path"), *item_params[4:],
                           *versions]}}
        if c.tiles:
            paths[f"/collections/{c.id}/tiles"] = {"get": {"summary": "vector tilesets"}}
    for ops in paths.values():
        ops["get"]["responses"] = {"200": {"description": "OK"}, "400": {"description": "bad parameter"}}
    return {"openapi": "3.0.3", "info": {"title": "GridOps OGC API", "version": "1.0"},
            "servers": [{"url": f"{base}/ogc"}], "paths": paths,
            "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}}}
