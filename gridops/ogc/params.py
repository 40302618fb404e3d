"""Query parameters of /items, each checked once: a bad value is a 400 naming the parameter.

OGC API – Features Part 1 asks for 400 on a parameter the API does not define, so a typo in a
property filter is an error rather than a silently unfiltered download.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.gis.geos import Polygon
from django.utils.dateparse import parse_datetime

from gridops.core.errors import InvalidInput

from . import crs as crs_mod

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
FIXED = {"f", "limit", "offset", "bbox", "bbox-crs", "datetime", "crs"}


@dataclass
class ItemQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: Polygon | None = None  # in EPSG:4326, lon/lat
    interval: tuple[datetime | None, datetime | None] | None = None
    crs: crs_mod.Crs = field(default_factory=lambda: crs_mod.parse(None, "crs"))
    properties: dict[str, str] = field(default_factory=dict)


def _int(params, name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isascii() or not raw.isdigit():
        raise InvalidInput(f"{name} must be a whole number", field=name)
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise InvalidInput(f"{name} must be between {low} and {high}" if high else f"{name} must be >= {low}", field=name)
    return value


def parse_bbox(raw: str | None, bbox_crs: crs_mod.Crs) -> Polygon | None:
    """`minx,miny,maxx,maxy` in the bbox CRS's axis order → a polygon in EPSG:4326 (lon/lat).
    Six numbers (with heights) are accepted and the heights ignored, as Part 1 allows."""
    if raw in (None, ""):
        return None
    try:
        numbers = [float(part) for part in raw.split(",")]
    except ValueError:
        raise InvalidInput("bbox must be four comma-separated numbers", field="bbox") from None
    if len(numbers) == 6:
        numbers = numbers[0:2] + numbers[3:5]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidInput("bbox must be four comma-separated numbers", field="bbox")
    x0, y0, x1, y1 = numbers
    if bbox_crs.north_first:
        x0, y0, x1, y1 = y0, x0, y1, x1
    if bbox_crs.srid == 4326 and not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise InvalidInput("bbox is outside longitude -180..180, latitude -90..90", field="bbox")
    if x0 > x1 or y0 > y1:
        raise InvalidInput("bbox must be lower corner then upper corner", field="bbox")
    box = Polygon.from_bbox((x0, y0, x1, y1))
    box.srid = bbox_crs.srid
    if bbox_crs.srid != 4326:
        box.transform(4326)
    return box


def _instant(text: str) -> datetime | None:
    if text in ("..", ""):
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidInput("datetime must be an RFC 3339 date-time with offset (or an interval a/b, ../b, a/..)",
                           field="datetime")
    return value


def parse_datetime_param(raw: str | None) -> tuple[datetime | None, datetime | None] | None:
    if raw in (None, ""):
        return None
    parts = raw.split("/")
    if len(parts) == 1:
        instant = _instant(parts[0])
        if instant is None:
            raise InvalidInput("datetime '..' needs an interval", field="datetime")
        return instant, instant
    if len(parts) != 2 or parts == ["..", ".."]:
        raise InvalidInput("datetime interval must be start/end with at most one '..'", field="datetime")
    start, end = _instant(parts[0]), _instant(parts[1])
    if start and end and start > end:
        raise InvalidInput("datetime interval ends before it starts", field="datetime")
    return start, end


def parse_items(params, queryables: list[str], extra: tuple[str, ...] = ()) -> ItemQuery:
    """`extra`: more parameters the collection takes and reads itself (a zone collection's
    `generation` and `date`)."""
    unknown = sorted(set(params) - FIXED - set(queryables) - set(extra))
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}; queryables: {', '.join(queryables) or 'none'}",
                           field=unknown[0])
    return ItemQuery(
        limit=_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_int(params, "offset", 0, 0, None),
        bbox=parse_bbox(params.get("bbox"), crs_mod.parse(params.get("bbox-crs"), "bbox-crs")),
        interval=parse_datetime_param(params.get("datetime")),
        crs=crs_mod.parse(params.get("crs"), "crs"),
        properties={name: params[name] for name in queryables if name in params},
    )
