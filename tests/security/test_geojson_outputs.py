"""Every GeoJSON the site serves passes an RFC 7946 validator (issue 14), found by walking every
GET route of the URL resolver as several roles, so a new GeoJSON endpoint is checked the day it
ships; the list below names the ones that exist today so none can silently drop out."""
import json

import pytest
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from tests.geojson_support import assert_rfc7946

from .urls import all_routes, implemented_methods, url_args

pytestmark = pytest.mark.django_db

# Who may read each layer: the district operator most, the others their own.
READERS = ["district_operator", "justice_officer", "planner", "counter_clerk", "citizen", "grid_worker"]

GEOJSON_ROUTES = {
    "zone-list", "zone-detail", "zone-children", "command-centre-list", "incident-list", "incident-detail",
    "worker-positions-latest", "approvals-halls", "approvals-terminals",
    "education-catchments", "education-grids", "education-schools", "education-layer", "education-export",
    "ledger-api:vendors", "ledger-api:checkins", "ogc-items", "ogc-item",
}


def _geojson(response):
    kind = response.get("Content-Type", "")
    if "json" not in kind:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("type") in ("Feature", "FeatureCollection") else None


def test_every_geojson_output_is_rfc7946(shared_world, db):
    args = url_args(shared_world)
    plan = f"?plan={shared_world['plan'].pk}"  # the world's plan is a draft: name it
    queries = {"zone-list": "?level=grid", "education-schools": plan, "education-export": plan}
    found: dict[str, int] = {}
    for name, callback in all_routes():
        if name.startswith("<"):
            continue
        if implemented_methods(callback) and "GET" not in implemented_methods(callback):
            continue
        try:
            url = reverse(name, args=args.get(name, [])) + queries.get(name, "")
        except NoReverseMatch:  # a route needing arguments this world does not name
            continue
        if not url.startswith(("/api/v1/", "/ogc/")):  # the OGC API's features too
            continue  # pages and API docs are HTML, the schema is OpenAPI, Open311 and tiles are no GeoJSON
        for role in READERS:  # the first reader the route answers decides whether it is GeoJSON
            client = APIClient()
            client.force_login(shared_world["users"][role])
            response = client.get(url)
            if response.status_code != 200:
                continue
            body = _geojson(response)
            if body is not None:
                found[name] = assert_rfc7946(body)
            break
    assert GEOJSON_ROUTES <= set(found), GEOJSON_ROUTES - set(found)
    assert sum(found.values()) > 0
