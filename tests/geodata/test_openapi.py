"""The OpenAPI document as a third-party client reads it (issue 14): it validates with
`openapi-spec-validator`; zones, locate and errors are typed (no bare `object`) and the types
match real responses; GeoJSON examples are longitude first; and the zones API itself: `level`
required, one spelling of levels in query and properties, `simplify` keeps MultiPolygons."""
import pytest
from django.urls import reverse
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

BARE_OBJECT = {"type": "object", "additionalProperties": {}}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get(reverse("schema") + "?format=json")
    assert response.status_code == 200
    return response.json()


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _response_schema(schema, path, method, status):
    content = schema["paths"][path][method]["responses"][str(status)]["content"]
    (media,) = content.values()
    return media["schema"]


def _keys(schema, node) -> set[str]:
    return set(_resolve(schema, node)["properties"])


def test_document_validates(schema):
    validate(schema)  # raises on any violation of OpenAPI 3


@pytest.mark.parametrize("path,method,status", [
    ("/api/v1/zones", "get", 200), ("/api/v1/zones/{code}", "get", 200),
    ("/api/v1/zones/{code}/children", "get", 200), ("/api/v1/command-centres", "get", 200),
    ("/api/v1/locate", "get", 200), ("/api/v1/locate", "post", 200),
    ("/api/v1/locate", "get", 400), ("/api/v1/locate", "get", 404), ("/api/v1/zones", "get", 400),
    ("/api/v1/zones/{code}", "get", 404),
])
def test_zones_locate_and_errors_are_typed(schema, path, method, status):
    node = _response_schema(schema, path, method, status)
    assert node != BARE_OBJECT and "properties" in _resolve(schema, node)


def test_every_undescribed_error_body_is_the_error_shape(schema):
    errors = [(path, method, status) for path, ops in schema["paths"].items() for method, op in ops.items()
              for status in op["responses"] if status.startswith("4")]
    assert len(errors) > 20
    for path, method, status in errors:
        for media in op_content(schema, path, method, status):
            assert media.get("schema") != BARE_OBJECT, (path, method, status)


def op_content(schema, path, method, status):
    return (schema["paths"][path][method]["responses"][status].get("content") or {}).values()


def test_types_match_real_responses(schema, client, tiny_district):
    zones = client.get(reverse("zone-list"), {"level": "grid"}).json()
    collection = _response_schema(schema, "/api/v1/zones", "get", 200)
    feature = _resolve(schema, _resolve(schema, collection)["properties"]["features"]["items"])
    assert set(zones["features"][0]) == set(feature["properties"])
    assert set(zones["features"][0]["properties"]) == _keys(schema, feature["properties"]["properties"])

    detail = client.get(reverse("zone-detail", args=["44060410101"])).json()
    detail_schema = _resolve(schema, _response_schema(schema, "/api/v1/zones/{code}", "get", 200))
    assert set(detail["properties"]) == _keys(schema, detail_schema["properties"]["properties"])

    located = client.get(reverse("locate"), {"lon": 113.01, "lat": 23.005}).json()
    assert set(located) == _keys(schema, _response_schema(schema, "/api/v1/locate", "get", 200))
    batch = client.post(reverse("locate"), {"points": [[113.01, 23.005]]}, content_type="application/json").json()
    assert set(batch) == _keys(schema, _response_schema(schema, "/api/v1/locate", "post", 200))

    error = client.get(reverse("locate"), {"lon": "x", "lat": 23}).json()
    error_schema = _resolve(schema, _response_schema(schema, "/api/v1/locate", "get", 400))
    assert set(error) == set(error_schema["properties"]) == {"error"}
    assert set(error["error"]) == set(error_schema["properties"]["error"]["properties"])


def test_geojson_examples_are_longitude_first(schema):
    position = _resolve(schema, schema["components"]["schemas"]["WorkerPosition"])
    example = position["properties"]["geometry"]["properties"]["coordinates"]["example"]
    lon, lat = example
    assert 112.9 < lon < 113.2 and 22.9 < lat < 23.2  # in Chancheng, (lon, lat)


def test_zone_list_requires_a_level(client, tiny_district):
    response = client.get(reverse("zone-list"))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "level" and response.json()["error"]["code"] == "required"


def test_level_is_spelled_the_same_in_query_and_properties(client, tiny_district):
    by_name = client.get(reverse("zone-list"), {"level": "grid"}).json()
    by_number = client.get(reverse("zone-list"), {"level": "4"}).json()  # accepted for old clients
    assert by_name == by_number
    assert {f["properties"]["level"] for f in by_name["features"]} == {"grid"}
    centres = client.get(reverse("command-centre-list")).json()
    assert {f["properties"]["level"] for f in centres["features"]} == {"district", "town"}
    chain = client.get(reverse("zone-detail", args=["44060410101"])).json()["properties"]
    assert chain["level"] == "area" and [c["level"] for c in chain["chain"]] == ["district", "town", "area"]


@pytest.mark.parametrize("url,query", [("zone-list", {"level": "grid", "simplify": "0.001"}),
                                       ("zone-list", {"level": "town", "simplify": "0.05"})])
def test_simplify_keeps_multipolygons(client, tiny_district, url, query):
    features = client.get(reverse(url), query).json()["features"]
    assert features and {f["geometry"]["type"] for f in features} == {"MultiPolygon"}


def test_simplified_children_stay_multipolygons(client, tiny_district):
    features = client.get(reverse("zone-children", args=["440604"]), {"simplify": "0.01"}).json()["features"]
    assert len(features) == 2 and {f["geometry"]["type"] for f in features} == {"MultiPolygon"}
