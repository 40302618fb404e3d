"""The JSON parser of every DRF view: `gridops.core.inputs.json_body` behind DRF's parser API.

DRF's own JSONParser lets a `RecursionError` (deeply nested JSON) through as a 500, reads bodies
of any size, and passes NUL characters on to PostgreSQL; this one answers each with a 4xx naming
the field. Set as the default in `REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`; views that list
parsers import this class, never DRF's.
"""
from __future__ import annotations

from django.conf import settings
from rest_framework import parsers

from .inputs import json_body, max_json_bytes


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read(max_json_bytes() + 1) if stream is not None else b""
        return json_body(raw, encoding=encoding)
