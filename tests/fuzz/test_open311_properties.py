"""Property-based: whatever an Open311 client sends, GeoReport v2 answers 2xx or 4xx, never 500, and
every 4xx is in Open311's own error shape `[{"code": <status>, "description": "..."}]`.

The rate limit on POST is raised out of the way so it cannot hide what the endpoint does.
"""
import math

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gridops.incidents.models import Incident
from tests.fuzzing import examples
from tests.security.world import NZ_POINT

KEY = "fuzz-key-311"
SETTINGS = settings(max_examples=examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def open311(settings, shared_world, db):
    settings.GRIDOPS_OPEN311_API_KEYS = {KEY: "fuzz"}
    settings.GRIDOPS_RATE_LIMITS = {**settings.GRIDOPS_RATE_LIMITS, "open311.post": "1000000/m"}
    return shared_world


@pytest.fixture
def client(client):
    """Posts from an address of our own (TEST-NET-2), so the fixed-window counter this file fills
    in Redis cannot push another test file's client over the limit."""
    client.defaults["REMOTE_ADDR"] = "198.51.100.31"
    return client


def url(name, fmt="json"):
    return reverse(name, kwargs={"fmt": fmt})


def assert_open311(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, list) and len(body) == 1, body
        assert body[0]["code"] == response.status_code and body[0]["description"], body


junk = st.one_of(st.text(max_size=30), st.sampled_from(["", " ", "\x00", "NaN", "nan", "inf", "-inf", "1e400", "0x10",
                                                         "１１３", "113,02", "<script>alert(1)</script>", "null"]))
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**30, 10**30).map(str))
lons = st.one_of(st.floats(112.99, 113.05).map(str), numbers, junk)
lats = st.one_of(st.floats(22.99, 23.03).map(str), numbers, junk)
form = st.fixed_dictionaries(
    {},
    optional={
        "api_key": st.one_of(st.just(KEY), junk),
        "service_code": st.one_of(st.just("0101001"), junk),
        "lat": lats,
        "long": lons,
        "description": st.one_of(junk, st.integers(0, 200_000).map(lambda n: "井" * n)),
        "jurisdiction_id": st.one_of(st.just("chancheng.foshan.gov.cn"), junk),
        "address_string": junk,
        "email": junk,
        "phone": junk,
        "first_name": junk,
        "last_name": junk,
        "media_url": junk,
        "accuracy": st.one_of(numbers, junk),
        "crs": st.one_of(st.sampled_from(["wgs84", "gcj02", "bd09"]), junk),
        "attribute[WHISPER]": junk,
        "attribute[]": junk,
        "attribute[<b>]": junk,
        "device_id": junk,
        "account_id": junk,
    },
)


@SETTINGS
@given(fields=form, fmt=st.sampled_from(["json", "xml"]))
def test_post_never_500(client, fields, fmt):
    before = Incident.objects.count()
    response = client.post(url("open311-requests", fmt), fields)
    assert response.status_code in (201, 400, 403, 404, 413), (fields, response.status_code, response.content[:300])
    if fmt == "json":
        assert_open311(response)
    created = Incident.objects.count() - before
    assert created == (1 if response.status_code == 201 else 0)
    if created:
        assert fields.get("api_key") == KEY and fields.get("service_code") == "0101001"


@SETTINGS
@given(fields=form)
def test_post_as_json_body_never_500(client, fields):
    response = client.post(url("open311-requests"), fields, content_type="application/json")
    assert_open311(response)


dates = st.one_of(junk, st.datetimes().map(lambda d: d.isoformat()), st.dates().map(str),
                  st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00",
                                   "2024-02-30", "2024-06-01T25:00:00Z", "2024-06-01 00:00:00 08:00", "2020-01-01"]))
get_params = st.fixed_dictionaries(
    {},
    optional={
        "start_date": dates,
        "end_date": dates,
        "status": st.one_of(st.sampled_from(["open", "closed", "open,closed", "OPEN"]), junk),
        "service_request_id": st.one_of(st.integers(-5, 10**30).map(str), junk),
        "service_code": st.one_of(st.just("0101001"), junk),
        "jurisdiction_id": st.one_of(st.just("chancheng.foshan.gov.cn"), junk),
    },
)


@SETTINGS
@given(params=get_params)
@example(params={"end_date": "0001-01-01"})  # used to be a 500: no 90-day window fits before year 1
@example(params={"end_date": "0001-01-01T00:00:00-12:00"})
@example(params={"start_date": "9999-12-31T23:59:59-12:00"})
def test_get_requests_never_500(client, params):
    response = client.get(url("open311-requests"), params)
    assert response.status_code in (200, 400, 404), (params, response.status_code, response.content[:300])
    assert_open311(response)


@SETTINGS
@given(request_id=st.one_of(junk.filter(lambda s: "/" not in s and s.strip()), st.integers(-5, 10**30).map(str)),
       fmt=st.sampled_from(["json", "xml", "csv", "JSON"]))
def test_request_detail_never_500(client, request_id, fmt):
    try:
        target = reverse("open311-request", kwargs={"service_request_id": request_id, "fmt": fmt})
    except Exception:  # noqa: BLE001 - a value the URL pattern cannot hold is not a request anyone can send
        return
    response = client.get(target)
    # 400: a NUL character, refused before the lookup (issue 11 finding 8)
    assert response.status_code in (200, 400, 404), (request_id, response.status_code, response.content[:300])
    assert_open311(response) if fmt.lower() != "xml" else None


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "1e400", "91", "-181", "0"])
def test_impossible_coordinates_are_a_400_in_open311_format(client, value):
    fields = {"api_key": KEY, "service_code": "0101001", "lat": str(NZ_POINT[1]), "long": str(NZ_POINT[0])}
    for coordinate in ("lat", "long"):
        response = client.post(url("open311-requests"), {**fields, coordinate: value})
        assert response.status_code == 400, (coordinate, value, response.content)
        assert response.json()[0]["code"] == 400


def test_a_window_over_90_days_is_refused(client):
    response = client.get(url("open311-requests"), {"start_date": "2024-01-01", "end_date": "2024-06-01"})
    assert response.status_code == 400 and "90" in response.json()[0]["description"]


def test_a_valid_post_is_stored_once(client):
    fields = {"api_key": KEY, "service_code": "0101001", "lat": str(NZ_POINT[1]), "long": str(NZ_POINT[0]),
              "description": "井盖 <b>丢了</b>"}
    response = client.post(url("open311-requests"), fields)
    assert response.status_code == 201, response.content
    request_id = response.json()[0]["service_request_id"]
    assert Incident.objects.filter(pk=int(request_id)).count() == 1
    assert not math.isnan(Incident.objects.get(pk=int(request_id)).point.x)
