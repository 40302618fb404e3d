"""The Open311 request feed, rewritten for speed (issue 13), answers byte for byte as before.

The old path (model instances, Python time zones, ElementTree) is kept as the oracle in
`open311_oracle.py`. The data set is the history generator's (routed, dispatched, closed and
reopened cases over half a year) plus every case the renderer distinguishes: text that needs
escaping, no grid, no department, no agency at all, merged duplicates, photos, a client's own
media_url, summer time (1988) and local mean time (1900) in Asia/Shanghai, fractions of a second,
many decimals, and a social-governance case that must never show. Each answer is compared cold
(nothing rendered yet), warm (every entry reused) and after the data changed under a warm cache.
"""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.http import QueryDict
from django.utils import timezone, translation

from gridops.accounts.models import Department
from gridops.incidents.history import generate_history
from gridops.incidents.models import CategoryKind, Incident, IncidentPhoto, Status
from gridops.incidents.open311 import serializers
from gridops.incidents.open311.models import Open311Submission

from . import open311_oracle as oracle
from .factories import CategoryFactory, EventTypeFactory
from .open311_support import url

SHANGHAI = timezone.get_fixed_timezone(8 * 60)
TRICKY = [
    'A & B < C > D "quoted" \'single\'\r\nline two\ttab',
    "控制字符\x01\x1f和 emoji 😀 与 \u2028 分隔",
    "",
    "<request><status>open</status></request>",
    "&amp; already escaped &lt;",
]


@pytest.fixture
def feed(world, settings):
    """~450 public requests in the default window, three pages of 200, and the edge cases."""
    settings.GRIDOPS_OPEN311_MAX_REQUESTS = 200
    generate_history(incidents=900, years=0.5, seed=13, now=timezone.now())
    ids = list(Incident.objects.order_by("-reported_at", "-id").values_list("id", flat=True))
    edge = {}
    for i, text in enumerate(TRICKY):
        Incident.objects.filter(pk=ids[i]).update(description=text)
    edge["address"] = _set(ids[5], address='季华路 1 号 <东门> & "南门"')
    edge["no_grid"] = _set(ids[6], grid=None, address="")
    edge["no_department"] = _set(ids[7], department=None)
    edge["no_agency"] = _set(ids[8], department=None, command_centre=None)
    edge["merged"] = _set(ids[9], status=Status.VOID, merged_into_id=ids[10])
    for pk in ids[11:14]:
        for name in ("b.jpg", "a.jpg"):  # the first photo by id, not by name
            _photo(pk, f"incidents/2026/{pk}/{name}")
    for pk, media in ((ids[14], "https://img.example.org/x.jpg?a=1&b=<2>"), (ids[15], "")):
        Open311Submission.objects.create(incident_id=pk, client="街坊通", media_url=media)
    _photo(ids[15], "incidents/with space/照片.jpg")  # empty media_url: the photo shows
    edge["decimals"] = _set(ids[16], point=Point(113.012345675, 23.0054321049999, srid=4326))
    edge["fraction"] = _set(ids[17], resolution_deadline=datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=SHANGHAI))
    edge["summer_1988"] = _set(ids[-1], reported_at=datetime(1988, 7, 1, 12, 0, tzinfo=SHANGHAI),
                               updated_at=datetime(1988, 7, 2, tzinfo=SHANGHAI))
    edge["lmt_1900"] = _set(ids[-2], reported_at=datetime(1900, 1, 1, 8, 0, tzinfo=SHANGHAI),
                            resolution_deadline=datetime(1899, 12, 31, tzinfo=SHANGHAI))
    social = CategoryFactory(code="21", name="矛盾纠纷", kind=CategoryKind.SOCIAL)
    dispute = EventTypeFactory(code="2101001", name="邻里纠纷", category=social)
    edge["social"] = _set(ids[18], category=social, event_type=dispute)
    return {"ids": ids, "edge": edge, "pictured": ids[11:16]}


def _set(pk, **fields) -> int:
    Incident.objects.filter(pk=pk).update(**fields)
    return pk


def _photo(pk, name):
    IncidentPhoto.objects.create(incident_id=pk, file=name, content_type="image/jpeg", size=1,
                                 sha256=f"{abs(hash(name)):064x}"[:64])


def _queries(feed) -> list[dict]:
    now = timezone.localtime()
    listed = ",".join(str(pk) for pk in [*feed["edge"].values(), *feed["pictured"], 999_999_999])
    return [
        {}, {"page": "2"}, {"page": "3"}, {"page": "9"},
        {"status": "open"}, {"status": "closed"}, {"status": "open,closed"},
        {"service_code": "0101001,0901001"}, {"service_code": "2101001"},
        {"start_date": (now - timedelta(days=30)).isoformat(), "end_date": now.isoformat()},
        {"end_date": (now - timedelta(days=60)).date().isoformat()},
        {"service_request_id": listed}, {"service_request_id": listed, "status": "open"},
    ]


def _expected_list(query: dict, fmt: str, response) -> tuple[bytes, bool]:
    filters = serializers.filters_from(QueryDict(mutable=True) | query)
    incidents, has_more = oracle.requests_matching(filters, now=timezone.now())
    body = [oracle.request_dict(i, absolute_uri=response.wsgi_request.build_absolute_uri) for i in incidents]
    return oracle.render(body, fmt, root="service_requests"), has_more


def _compare_everything(client, feed, language):
    client.cookies["django_language"] = language
    compared = 0
    for query in _queries(feed):
        for fmt in ("json", "xml"):
            response = client.get(url("open311-requests", fmt), query)
            assert response.status_code == 200, (query, response.content[:300])
            with translation.override(language):
                expected, has_more = _expected_list(query, fmt, response)
            assert response.content == expected, (language, fmt, query)
            assert ("Link" in response) == has_more, (fmt, query)
            compared += 1
    for pk in [*feed["edge"].values(), *feed["pictured"], feed["ids"][100]]:
        for fmt in ("json", "xml"):
            response = client.get(url("open311-request", fmt, service_request_id=pk))
            incident = oracle.public_request(pk)
            if incident is None:
                assert response.status_code == 404
                continue
            with translation.override(language):
                body = [oracle.request_dict(incident, absolute_uri=response.wsgi_request.build_absolute_uri)]
                assert response.content == oracle.render(body, fmt, root="service_requests"), (language, fmt, pk)
            compared += 1
    return compared


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_feed_answers_byte_for_byte_as_the_old_path(client, feed, language, monkeypatch):
    monkeypatch.setattr(serializers, "_ENTRIES", {})
    public_in_window = oracle.requests_matching(serializers.filters_from({}), now=timezone.now())
    assert public_in_window[1], "the data set must fill more than one page"
    assert _compare_everything(client, feed, language) > 40  # cold: every entry rendered now
    assert serializers._ENTRIES
    assert _compare_everything(client, feed, language) > 40  # warm: every entry reused
    # Changes under a warm cache: another status, a renamed department, a new first photo, text.
    ids = feed["ids"]
    Incident.objects.filter(pk=ids[20]).update(status=Status.CLOSED)
    # Reference names come from the process's reference memo, which moves with every save (and
    # with `refcache.bump()` after bulk writes, as the catalogue import does).
    renamed = Department.objects.get(code="cg")
    renamed.name = "城市管理局（改名）"
    renamed.save()
    _photo(ids[21], "incidents/2026/new/0.jpg")
    Incident.objects.filter(pk=ids[22]).update(description="改过的描述 & <新>")
    assert _compare_everything(client, feed, language) > 40


@pytest.mark.parametrize("zone", [ZoneInfo("America/New_York"), dt_timezone(timedelta(hours=-5, minutes=-30))],
                         ids=["new-york", "utc-05:30"])
def test_feed_in_another_time_zone(client, feed, zone, monkeypatch):
    """Times follow the current zone (summer time and fixed offsets included), as `localtime` did."""
    monkeypatch.setattr(serializers, "_ENTRIES", {})
    with timezone.override(zone):
        assert _compare_everything(client, feed, "zh-hans") > 40
        times = client.get(url("open311-requests")).json()[0]["requested_datetime"]
    assert times.endswith(("-05:00", "-04:00", "-05:30")), times


def test_the_entry_cache_is_bounded_and_stays_exact(client, feed, monkeypatch):
    monkeypatch.setattr(serializers, "_ENTRIES", {})
    monkeypatch.setattr(serializers, "ENTRIES_MAX", 150)  # smaller than a page: cleared on every GET
    assert _compare_everything(client, feed, "zh-hans") > 40
    assert len(serializers._ENTRIES) <= 200


def test_the_site_address_is_part_of_an_entry(client, feed, monkeypatch):
    """A photo's media_url is absolute: the same entry under another host name is another text."""
    monkeypatch.setattr(serializers, "_ENTRIES", {})
    query = {"service_request_id": ",".join(str(pk) for pk in feed["pictured"])}
    first = client.get(url("open311-requests"), query).json()
    second = client.get(url("open311-requests"), query, HTTP_HOST="localhost").json()
    assert {r["media_url"].split("/")[2] for r in first if "example.org" not in r["media_url"]} == {"testserver"}
    assert {r["media_url"].split("/")[2] for r in second if "example.org" not in r["media_url"]} == {"localhost"}


@pytest.mark.parametrize("root, value", [
    ("service_requests", []),
    ("errors", [{"code": 400, "description": "bad <&> \"input\"", "extra": None}]),
    ("discovery", {"changeset": "2026-11-30T08:00:00+08:00", "contact": "区指挥中心 & 网格",
                   "endpoints": [{"url": "http://x/", "formats": ["application/json", "text/xml"], "empty": [],
                                  "nested": {}, "flag": True, "off": False, "n": 1.5}]}),
    ("services", [{"service_code": "0101001", "metadata": False, "keywords": "", "group": "市容<环境>"}]),
    ("service_definition", {"service_code": "0101001", "attributes": []}),
])
def test_xml_writer_matches_elementtree(root, value):
    assert serializers.to_xml(root, value) == oracle.to_xml(root, value)
