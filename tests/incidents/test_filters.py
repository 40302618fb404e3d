"""One incident FilterSet (`gridops.incidents.filters`): the list, the tiles, the KPIs and the
export select the same incidents for the same query string, at the edges of a day (issue 15:
`until=2024-06-01` used to exclude that day in the list and include it in tiles and KPIs)."""
import csv
import io
import math
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import mapbox_vector_tile
import pytest
from django.test import Client
from django.urls import reverse

from gridops.incidents.models import Incident
from tests.realtime.users import NANZHUANG_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Around 1 June 2024 in the district's time. In UTC the day starts at 16:00 on 31 May, so reading
# a date as a UTC day (or an end date as exclusive) puts `first` or `last` on the wrong side.
MOMENTS = {
    "before": datetime(2024, 5, 31, 23, 59, 59, tzinfo=SHANGHAI),
    "first": datetime(2024, 6, 1, 0, 0, 0, tzinfo=SHANGHAI),
    "last": datetime(2024, 6, 1, 23, 59, 59, 999000, tzinfo=SHANGHAI),
    "after": datetime(2024, 6, 2, 0, 0, 0, tzinfo=SHANGHAI),
}
POINT = (113.0101, 23.0051)  # 南庄 grid 1: every incident here, so one tile holds them all
Z = 16


@pytest.fixture
def dated():
    people = build_people()
    ids = {}
    for name, moment in MOMENTS.items():
        incident = make_incident(people["zones"], NANZHUANG_GRID, lon=POINT[0], lat=POINT[1])
        Incident.objects.filter(pk=incident.pk).update(reported_at=moment)
        ids[incident.pk] = name
    client = Client()
    client.force_login(people["users"]["district"])
    return client, ids


def _tile_path() -> str:
    n = 2 ** Z
    x = int((POINT[0] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(POINT[1]))) / math.pi) / 2 * n)
    return reverse("tile", kwargs={"layer": "incidents", "z": Z, "x": x, "y": y})


def _ok(response):
    assert response.status_code == 200, response.content[:300]
    return response


def listed(client, params) -> set[int]:
    body = _ok(client.get(reverse("incident-list"), params | {"page_size": 1000})).json()
    return {feature["id"] for feature in body["features"]}


def tiled(client, params) -> set[int]:
    tile = mapbox_vector_tile.decode(_ok(client.get(_tile_path(), params)).content)
    return {feature["id"] for feature in tile.get("incidents", {"features": []})["features"]}


def exported(client, params) -> set[int]:
    response = _ok(client.get(reverse("incident-export"), params))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(text))}


def counted_by_day(client, params) -> tuple[int, Counter]:
    body = _ok(client.get(reverse("incident-kpis"), params | {"group_by": "day"})).json()
    return body["overall"]["total"], Counter({g["key"]: g["total"] for g in body["groups"]})


@pytest.mark.parametrize("params, expected", [
    ({"until": "2024-06-01"}, {"before", "first", "last"}),  # a date includes that whole day
    ({"since": "2024-06-01"}, {"first", "last", "after"}),
    ({"since": "2024-06-01", "until": "2024-06-01"}, {"first", "last"}),
    ({"until": "2024-06-01T00:00:00"}, {"before"}),  # an instant (local time) is an exclusive end
    ({"since": "2024-05-31T16:00:00Z", "until": "2024-06-02T00:00:00+08:00"}, {"first", "last"}),
    ({"until": "2024-05-31"}, {"before"}),
    ({"since": "2024-06-02", "until": "2024-06-02"}, {"after"}),
])
def test_list_tiles_kpis_and_export_agree_at_day_boundaries(dated, params, expected):
    client, ids = dated
    want = {pk for pk, name in ids.items() if name in expected}
    assert listed(client, params) == want
    assert tiled(client, params) == want
    assert exported(client, params) == want
    total, by_day = counted_by_day(client, params)
    assert total == len(want)
    assert by_day == Counter(MOMENTS[ids[pk]].date().isoformat() for pk in want)


ENDPOINTS = {
    "list": lambda: reverse("incident-list"),
    "tiles": _tile_path,
    "kpis": lambda: reverse("incident-kpis"),
    "export": lambda: reverse("incident-export"),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("params, status, field", [
    ({"until": "2024-02-30"}, 400, "until"),  # an impossible day
    ({"until": "9999-12-31"}, 400, "until"),  # its end is past the last representable day
    ({"since": "yesterday"}, 400, "since"),
    ({"since": "2024-06-02", "until": "2024-06-01"}, 400, "since"),
    ({"status": "bogus"}, 400, "status"),
    ({"overdue": "maybe"}, 400, "overdue"),
    ({"days": "0"}, 400, "days"),
    ({"bbox": "1,2,3"}, 400, "bbox"),
    ({"category": "a b"}, 400, "category"),
    ({"category": "99"}, 404, "category"),
    ({"zone": "440604999"}, 404, "zone"),
])
def test_bad_filters_are_the_same_error_everywhere(dated, endpoint, params, status, field):
    client, _ = dated
    response = client.get(ENDPOINTS[endpoint](), params)
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert error["field"] == field and error["message"]
