"""Bodies and path parameters schemathesis does not generate, sent to every route (issue 14).

Routes come from the URL resolver (`tests/fuzz/endpoints.py`), so a new endpoint is fuzzed as
soon as it is mounted; two tests fail when one would be fuzzed in name only: a write operation
the OpenAPI document lists that the walk missed, and a path parameter with no real value (or one
that only ever meets a 404). For every write method: deeply nested, oversized, NUL-bearing, wrongly
typed, truncated, non-UTF-8 and non-object bodies (JSON, form and multipart), each as every role.
For every path parameter: NUL, huge numbers, long, encoded, traversal and quoting values.

No answer may be a 5xx, and every error is in the documented shape: `{"error": {"code",
"message", "field"}}` under /api/ and /tiles/, `[{"code", "description"}]` under /open311/.
"""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client

from tests.security.world import ROLES

from .endpoints import _schema, _template, body_fields, endpoints, parameterised_endpoints, write_endpoints

pytestmark = pytest.mark.django_db
BODY_LIMIT = 64 * 1024  # DATA_UPLOAD_MAX_MEMORY_SIZE here, so "oversized" stays cheap to send
HUGE = 10**40


@pytest.fixture(autouse=True)
def small_upload_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT
    settings.GRIDOPS_RATE_LIMITS = {name: "1000000/m" for name in settings.GRIDOPS_RATE_LIMITS}
    settings.GRIDOPS_OPEN311_API_KEYS = {"fuzz-every-endpoint": "fuzz"}


@pytest.fixture
def clients(fuzz_world) -> dict[str, Client]:
    """Every role, and a sensor device (its key, no session): the readings endpoint's only caller."""
    made = {}
    for role in ROLES:
        client = Client(REMOTE_ADDR="198.51.100.77")
        if role != "anonymous":
            client.force_login(fuzz_world["users"][role])
        made[role] = client
    made["sensor_device"] = Client(REMOTE_ADDR="198.51.100.78", HTTP_AUTHORIZATION=f"Api-Key {fuzz_world['device_key']}")
    return made


def json_bodies(fields: tuple[str, ...]) -> list[tuple[str, bytes | str]]:
    """(label, raw JSON body) pairs; each is bad in one way. The first three are refused while
    parsing, so they are also sent by roles the endpoint refuses (a parser may run first)."""
    def every(value):
        return json.dumps({f: value for f in fields} | {"api_key": "fuzz-every-endpoint"})

    return [
        ("nested objects", '{"a":' * 2000 + "1" + "}" * 2000),
        ("NUL in values", every("x\x00y")),
        ("oversized", json.dumps({fields[0]: "井" * BODY_LIMIT})),
        ("nested arrays, truncated", "[" * 3000),
        ("nested one level past the limit", json.dumps({fields[0]: json.loads("[" * 40 + "]" * 40)})),
        ("truncated", every("abc")[: len(every("abc")) // 2]),
        ("not utf-8", b'{"' + fields[0].encode() + b'": "\xff\xfe\xfa"}'),
        ("NaN", '{"%s": NaN}' % fields[0]),
        ("NUL in a key", json.dumps({"a\x00b": 1, fields[0]: "x"})),
        ("lists", every([])),
        ("objects", every({})),
        ("huge numbers", every(HUGE)),
        ("booleans", every(True)),
        ("nulls", every(None)),
        ("long strings", every("x" * 5000)),
        ("nested values", every({"a": [{"b": [1, {"c": None}]}]})),
        ("array body", "[]"),
        ("string body", '"text"'),
        ("null body", "null"),
    ]


PARSE_STAGE = 3  # json_bodies()[:3]
FULL_ROLES = 2  # signed-in roles that get every body, besides anonymous (time: 2 shared cores)


def assert_handled(response, kind: str, what) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:400])
    if response.status_code < 400 or kind == "page":
        return
    content_type = response.get("Content-Type", "")
    if kind == "open311" and "xml" in content_type:
        assert b"<errors><error><code>" in response.content, (what, response.content[:400])
        return
    assert content_type.startswith("application/json"), (what, response.status_code, content_type, response.content[:200])
    body = response.json()
    if kind == "open311":
        assert isinstance(body, list) and body[0]["code"] == response.status_code and body[0]["description"], (what, body)
    else:
        error = body["error"]
        assert {"code", "message", "field"} <= set(error) and error["message"], (what, body)


@pytest.mark.parametrize("endpoint,method", write_endpoints(), ids=lambda v: getattr(v, "id", v))
def test_bad_bodies_never_fail(fuzz_world, clients, endpoint, method):
    """Every role is probed with an empty object. Anonymous and the first roles that get past
    authentication, permission and the method check receive every bad body; the other roles (and
    HTML pages, which read no JSON) the ones refused while parsing (a parser may run first)."""
    path = endpoint.path(fuzz_world)
    fields = body_fields(endpoint, method)
    bodies = json_bodies(fields)
    fully_fuzzed = 0
    for role, client in clients.items():
        send = getattr(client, method)
        probe = send(path, "{}", content_type="application/json")
        assert_handled(probe, endpoint.kind, (role, method, path, "probe"))
        admitted = (endpoint.kind != "page" and probe.status_code not in (401, 403, 405)
                    and (role == "anonymous" or fully_fuzzed < FULL_ROLES))
        fully_fuzzed += admitted and role != "anonymous"
        for label, body in bodies if admitted else bodies[:PARSE_STAGE]:
            response = send(path, body, content_type="application/json")
            assert_handled(response, endpoint.kind, (role, method, path, label))
        if not admitted:
            continue
        form = {f: "x\x00y" for f in fields} | {"a\x00": "1"}
        response = send(path, urlencode(form), content_type="application/x-www-form-urlencoded")
        assert_handled(response, endpoint.kind, (role, method, path, "form with NUL"))
        if method == "post":
            assert_handled(client.post(path, form), endpoint.kind, (role, method, path, "multipart with NUL"))
        response = send(path, "a=" + "x" * (BODY_LIMIT + 10), content_type="application/x-www-form-urlencoded")
        assert_handled(response, endpoint.kind, (role, method, path, "oversized form"))


BAD_PATH_VALUES = ["%00", "a%00b", "9" * 25, str(2**63), "0", "x" * 3000, quote("测试\x01"), "..",
                   quote("<script>' OR '1'='1"), "1.5"]


@pytest.mark.parametrize("endpoint,param", parameterised_endpoints(), ids=lambda v: getattr(v, "id", v))
def test_bad_path_parameters_never_fail(fuzz_world, clients, endpoint, param):
    for value in BAD_PATH_VALUES:
        path = endpoint.path(fuzz_world, **{param: value})
        for role in ("anonymous", "district_operator"):
            client = clients[role]
            response = client.get(path)
            assert_handled(response, endpoint.kind, (role, "get", path))
            for method in endpoint.methods:
                response = getattr(client, method)(path, "{}", content_type="application/json")
                assert_handled(response, endpoint.kind, (role, method, path))


@pytest.mark.parametrize("endpoint", endpoints(), ids=lambda e: e.id)
def test_every_route_answers_a_plain_get(fuzz_world, clients, endpoint):
    """The route as a client first meets it, with real values and no query: a 5xx here is a bug
    no bad input is needed for (a lazy translation in Open311's JSON once was one)."""
    path = endpoint.path(fuzz_world)
    for role in ("anonymous", "district_operator", "citizen"):
        assert_handled(clients[role].get(path), endpoint.kind, (role, "get", path))


WRITE_OPERATIONS = ("post", "put", "patch", "delete")


def test_every_documented_write_operation_is_fuzzed():
    """The URL walk and the OpenAPI document agree: no write operation escapes the fuzzers (a
    ViewSet's actions, say, which the view class does not name as methods)."""
    fuzzed = {(_template(e.route), method) for e, method in write_endpoints()}
    documented = {(_template(path.lstrip("/")), method) for path, operations in _schema()["paths"].items()
                  for method in operations if method in WRITE_OPERATIONS}
    assert len(documented) > 30
    assert documented - fuzzed == set()


NOT_REACHED = {401, 403, 404, 405}


def test_every_path_parameter_names_a_real_object(fuzz_world, clients):
    """With the world's values every parameterised route gets past authentication, permission,
    method and lookup for some role (a GET, or an empty write: an answer other than 401, 403,
    404 or 405), so the bad values above replace a value that reached the code; a route whose
    parameter `_real_value` does not know fails here by name. Each route's probes are rolled
    back (a DELETE must not take the plan from the next route)."""
    not_reached = {}
    for endpoint in {e for e, _param in parameterised_endpoints()}:
        path = endpoint.path(fuzz_world)
        statuses = set()
        with transaction.atomic():
            for client in clients.values():
                statuses.add(client.get(path).status_code)
                for method in endpoint.methods:
                    statuses.add(getattr(client, method)(path, "{}", content_type="application/json").status_code)
                if statuses - NOT_REACHED:
                    break
            transaction.set_rollback(True)
        if statuses <= NOT_REACHED:
            not_reached[path] = sorted(statuses)
    assert not_reached == {}
