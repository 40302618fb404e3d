"""Thin views: parse, ask the collection, answer JSON/GeoJSON or HTML (f= or Accept)."""
from __future__ import annotations

import functools
import json

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from geodata.selectors import GENERATION_PARAMS, generation_from_params
from geodata.tiles import LAYERS
from gridops.core.errors import GridOpsError, InvalidInput, NotFound, error_response
from gridops.core.tokens import request_token_user

from . import documents
from .collections import STORAGE_CRS, collection, registry
from .crs import parse as parse_crs, supported
from .params import parse_items

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


def ogc_view(view):
    """GET only; errors as the project's JSON shape (401 with a challenge)."""
    @require_GET
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except GridOpsError as exc:
            response = error_response(exc)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Token realm="gridops", Bearer realm="gridops"'
            return response
    return wrapper


def wants_html(request) -> bool:
    f = request.GET.get("f")
    if f not in (None, "", "json", "html"):
        raise InvalidInput("f must be json or html", field="f")
    if f:
        return f == "html"
    accept = request.META.get("HTTP_ACCEPT", "")
    return "text/html" in accept and "json" not in accept.split("text/html")[0]


def user_of(request):
    """The token's user (Token/Bearer, gridops.core.tokens), else the session's, else None."""
    user = request_token_user(request)
    if user is None and request.user.is_authenticated:
        user = request.user
    return user


def base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def answer(request, document: dict, *, content_type: str = "application/json", template_rows=None, headers=None):
    if wants_html(request):
        return render(request, "ogc/page.html", {"doc": document, "rows": template_rows,
                                                 "json": json.dumps(document, ensure_ascii=False, indent=1)[:20000]})
    response = JsonResponse(document, content_type=content_type, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _links(request, path: str, title: str) -> list[dict]:
    href = f"{base(request)}/ogc{path}"
    return [{"rel": "self", "type": "application/json", "title": title, "href": f"{href}?f=json"},
            {"rel": "alternate", "type": "text/html", "title": title, "href": f"{href}?f=html"}]


@ogc_view
def landing(request):
    root = f"{base(request)}/ogc"
    return answer(request, {
        "title": "GridOps OGC API", "description": "Chancheng grid: zones, centres, schools, halls, stalls, incidents",
        "links": _links(request, "/", "landing page") + [
            {"rel": "service-desc", "type": OPENAPI, "title": "OpenAPI", "href": f"{root}/api"},
            {"rel": "conformance", "type": "application/json", "title": "conformance", "href": f"{root}/conformance"},
            {"rel": "data", "type": "application/json", "title": "collections", "href": f"{root}/collections"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "type": "application/json",
             "title": "tile matrix sets", "href": f"{root}/tileMatrixSets"},
        ]})


@ogc_view
def conformance(request):
    return answer(request, {"conformsTo": documents.CONFORMANCE})


@ogc_view
def openapi(request):
    return JsonResponse(documents.openapi(base(request), registry().values()), content_type=OPENAPI)


def _collection_doc(request, c) -> dict:
    root = f"{base(request)}/ogc/collections/{c.id}"
    links = _links(request, f"/collections/{c.id}", c.title) + [
        {"rel": "items", "type": GEOJSON, "title": c.title, "href": f"{root}/items?f=json"},
        {"rel": "items", "type": "text/html", "title": c.title, "href": f"{root}/items?f=html"},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
         "href": f"{root}/queryables"}]
    if c.tiles in LAYERS:
        links.append({"rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": "application/json",
                      "href": f"{root}/tiles"})
    return {"id": c.id, "title": c.title, "itemType": "feature", "links": links, "extent": c.extent(),
            "crs": list(supported()), "storageCrs": STORAGE_CRS}


@ogc_view
def collections(request):
    docs = [_collection_doc(request, c) for c in registry().values()]
    return answer(request, {"links": _links(request, "/collections", "collections"), "collections": docs},
                  template_rows=[{"id": d["id"], "title": d["title"]} for d in docs])


@ogc_view
def collection_view(request, cid: str):
    return answer(request, _collection_doc(request, collection(cid)))


@ogc_view
def queryables(request, cid: str):
    c = collection(cid)
    return JsonResponse({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                         "$id": f"{base(request)}/ogc/collections/{cid}/queryables",
                         "properties": {name: {"title": name} for name in c.queryables}},
                        content_type="application/schema+json")


def _page_link(request, rel: str, offset: int, limit: int) -> dict:
    params = request.GET.copy()
    params["offset"], params["limit"] = str(offset), str(limit)
    href = request.build_absolute_uri(request.path) + "?" + params.urlencode()
    return {"rel": rel, "type": GEOJSON, "href": href}


@ogc_view
def items(request, cid: str):
    c = collection(cid)
    versioned = c.has_generations
    query = parse_items(request.GET, list(c.queryables), GENERATION_PARAMS if versioned else ())
    wants_html(request)
    generation = generation_from_params(request.GET) if versioned else None
    qs = c.filtered(c.queryset(user_of(request), generation), query).order_by("pk")
    matched = qs.count()
    features = c.features(qs[query.offset:query.offset + query.limit], query.crs)
    links = [{"rel": "self", "type": GEOJSON, "href": request.build_absolute_uri()},
             {"rel": "collection", "type": "application/json", "href": f"{base(request)}/ogc/collections/{cid}"}]
    if query.offset + len(features) < matched:
        links.append(_page_link(request, "next", query.offset + query.limit, query.limit))
    if query.offset > 0:
        links.append(_page_link(request, "prev", max(0, query.offset - query.limit), query.limit))
    document = {"type": "FeatureCollection", "features": features, "links": links,
                "numberMatched": matched, "numberReturned": len(features)}
    return answer(request, document, content_type=GEOJSON, headers={"Content-Crs": f"<{query.crs.uri}>"},
                  template_rows=[{"id": f["id"], **f["properties"]} for f in features])


@ogc_view
def item(request, cid: str, feature_id: str):
    c = collection(cid)
    versioned = c.has_generations
    unknown = sorted(set(request.GET) - {"f", "crs"} - set(GENERATION_PARAMS if versioned else ()))
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}", field=unknown[0])
    crs = parse_crs(request.GET.get("crs"), "crs")
    generation = generation_from_params(request.GET) if versioned else None
    feature = c.one(user_of(request), feature_id, crs, generation)
    feature["links"] = [{"rel": "self", "type": GEOJSON, "href": request.build_absolute_uri()},
                        {"rel": "collection", "type": "application/json", "href": f"{base(request)}/ogc/collections/{cid}"}]
    return answer(request, feature, content_type=GEOJSON, headers={"Content-Crs": f"<{crs.uri}>"},
                  template_rows=[{"id": feature["id"], **feature["properties"]}])


@ogc_view
def tile_matrix_sets(request):
    root = f"{base(request)}/ogc/tileMatrixSets/WebMercatorQuad"
    return answer(request, {"tileMatrixSets": [{"id": "WebMercatorQuad", "uri": documents.TMS_URI,
                                                "links": [{"rel": "self", "href": root}]}]})


@ogc_view
def tile_matrix_set(request, tms: str):
    if tms != "WebMercatorQuad":
        raise NotFound(f"no tile matrix set {tms!r}", field="tileMatrixSetId")
    return answer(request, documents.web_mercator_quad())


def _layer_of(cid: str) -> str:
    c = collection(cid)
    if c.tiles not in LAYERS:
        raise NotFound(f"collection {cid!r} has no tiles", field="collectionId")
    return c.tiles


@ogc_view
def tilesets(request, cid: str):
    return answer(request, {"tilesets": [documents.tileset(base(request), _layer_of(cid), cid)]})


@ogc_view
def tileset(request, cid: str, tms: str):
    if tms != "WebMercatorQuad":
        raise NotFound(f"no tile matrix set {tms!r}", field="tileMatrixSetId")
    return answer(request, documents.tileset(base(request), _layer_of(cid), cid))


