"""Conditional GET by Django's rules (gridops.core.conditional), for every ETag the site sends.

The zones API used to match `If-None-Match` as a substring: a header that merely contained the
current tag somewhere (inside another tag, or in junk) got a 304, and `*` got a 200.
"""
import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from gridops.core.conditional import conditional_response

TAG = '"v1"'


def _answer(if_none_match: str | None, *, status: int = 200):
    headers = {} if if_none_match is None else {"HTTP_IF_NONE_MATCH": if_none_match}
    request = RequestFactory().get("/x", **headers)
    built = []

    def build():
        built.append(1)
        return HttpResponse("body", status=status)

    response = conditional_response(request, etag=TAG, build=build, cache_control={"public": True, "max_age": 60},
                                    vary=("Cookie",))
    return response, bool(built)


@pytest.mark.parametrize("header", [TAG, 'W/"v1"', '"v0", "v1"', "*"])
def test_a_matching_validator_is_a_304_without_building_the_body(header):
    response, built = _answer(header)
    assert response.status_code == 304 and not built
    assert response["ETag"] == TAG and "max-age=60" in response["Cache-Control"] and response["Vary"] == "Cookie"


@pytest.mark.parametrize("header", [None, '"v0"', '"v1x"', 'x"v1"x', '"v1" junk'])
def test_a_header_that_only_contains_the_tag_is_not_a_match(header):
    response, built = _answer(header)
    assert response.status_code == 200 and built and response["ETag"] == TAG


def test_an_error_is_not_labelled_as_the_resource():
    response, built = _answer(None, status=404)
    assert response.status_code == 404 and built and not response.has_header("ETag")


@pytest.mark.django_db
def test_zones_api_no_longer_matches_if_none_match_by_substring(client, tiny_district):
    url = reverse("zone-list") + "?level=town"
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # The old check (`etag in header`) answered 304 to both of these.
    assert client.get(url, HTTP_IF_NONE_MATCH=f'x{etag}x').status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH=etag[:-1] + 'a"' + etag).status_code == 200
