"""Incident exports: the filtered incidents a user may see as CSV, for spreadsheets and reports.

The rows are the list API's rows for the same query string (the one `filters.IncidentFilter`),
so an export never holds more or less than the list and the map show. No personal data: the
reporter's name and phone stay in the case file, where their visibility rule applies.
Times are written in the district's local time with their offset (2024-06-01T08:30:00+08:00),
which spreadsheets and the operators read the same way. Streamed in chunks: a year of the
district's history (hundreds of thousands of rows) never sits in memory.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils import timezone

from .sla import overdue_q

HEADER = ["id", "status", "priority", "emergency", "category", "event_type", "event_type_name", "town", "grid",
          "department", "address", "lon", "lat", "reported_at", "resolved_at", "closed_at", "response_deadline",
          "resolution_deadline", "overdue"]
CHUNK = 2000


class _Echo:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> object:
    """Local times; text a spreadsheet would run as a formula (a citizen's address starting with
    `=`) is quoted with a leading apostrophe (OWASP's CSV-injection rule)."""
    if isinstance(value, datetime):
        return timezone.localtime(value, timezone.get_default_timezone()).isoformat()
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def incidents_csv(qs: QuerySet) -> Iterator[bytes]:
    """The header and one line per incident, oldest first, UTF-8 with a byte-order mark (so a
    spreadsheet opened by double-click reads the Chinese names)."""
    rows = qs.order_by("id").values_list(
        "id", "status", "priority", "emergency", "category__code", "event_type__code", "event_type__name",
        "town__code", "grid__code", "department__code", "address", "point", "reported_at", "resolved_at",
        "closed_at", "response_deadline", "resolution_deadline",
        ExpressionWrapper(overdue_q(), output_field=BooleanField()),
    )
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(HEADER)).encode()
    for row in rows.iterator(chunk_size=CHUNK):
        point = row[11]
        cells = [*row[:11], round(point.x, 7), round(point.y, 7), *row[12:]]
        yield writer.writerow([_cell(value) for value in cells]).encode()

