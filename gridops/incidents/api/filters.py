"""Query-string helpers of the incident API's plain parameters (the catalogue search).

The incident filters themselves are one django-filter FilterSet, `gridops.incidents.filters`,
shared by the list, the tiles, the KPIs and the export.
"""
from __future__ import annotations

from gridops.core.errors import InvalidInput


def text_param(params, name: str, max_length: int = 200) -> str:
    """A query-string value as text; NUL characters (which PostgreSQL refuses) are a 400."""
    value = params.get(name) or ""
    if "\x00" in value:
        raise InvalidInput(f"{name} contains a NUL character", field=name)
    return value[:max_length]
