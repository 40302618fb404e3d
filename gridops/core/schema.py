"""OpenAPI post-processing (drf-spectacular hook): the error shape and GeoJSON examples, once.

- Every error response declared without a body shape (`object`) gets the one error body of
  `gridops/core/errors.py`, `{"error": {"code", "message", "field"}}`, as the `Error` component.
  Error responses that document another shape (Open311's list of errors) keep theirs.
- drf-spectacular's GeoJSON schemas for rest_framework_gis fields carry the library's examples:
  a point `[12.9721, 77.5933]` in latitude, longitude order (Bangalore) and a clockwise polygon.
  RFC 7946 positions are longitude first and exterior rings counter-clockwise, so client authors
  copying the example get it right: they are replaced by positions in Chancheng.
"""
from __future__ import annotations

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error of the GridOps API (gridops/core/errors.py).",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string", "description": "stable machine-readable code, e.g. `invalid`, "
                                                          "`required`, `not_found`, `invalid_token`"},
                "message": {"type": "string", "description": "what is wrong, in the request's language"},
                "field": {"type": "string", "nullable": True,
                          "description": "the parameter or body field at fault (`points[3].lat`), or null"},
            },
        },
    },
}
_BARE_OBJECT = {"type": "object", "additionalProperties": {}}

_POINT = [113.1216, 23.0215]  # lon, lat: Chancheng
_EXAMPLES = {
    repr([12.9721, 77.5933]): _POINT,
    repr([[22.4707, 70.0577], [12.9721, 77.5933]]): [[113.1016, 23.0115], _POINT],
    repr([[[0.0, 0.0], [0.0, 50.0], [50.0, 50.0], [50.0, 0.0], [0.0, 0.0]]]):
        [[[113.10, 23.01], [113.13, 23.01], [113.13, 23.03], [113.10, 23.03], [113.10, 23.01]]],
    repr([12.9721, 77.5933, 12.9721, 77.5933]): [113.10, 23.01, 113.13, 23.03],
}


def _error_bodies(schema: dict) -> None:
    schema.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if not str(status).startswith(("4", "5")):
                    continue
                content = response.get("content") or {}
                shapes = [media.get("schema") for media in content.values()]
                if not shapes or all(shape in (None, _BARE_OBJECT) for shape in shapes):
                    response["content"] = {"application/json": {"schema": reference}}
                if not response.get("description"):
                    response["description"] = "error: {error: {code, message, field}}"


def _geojson_examples(node) -> None:
    if isinstance(node, dict):
        example = node.get("example")
        if isinstance(example, list) and repr(example) in _EXAMPLES:
            node["example"] = _EXAMPLES[repr(example)]
        for value in node.values():
            _geojson_examples(value)
    elif isinstance(node, list):
        for value in node:
            _geojson_examples(value)


def postprocess(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry (after its enum hook)."""
    _error_bodies(result)
    _geojson_examples(result)
    return result
