"""Ledger endpoints: the permission matrix, receipts over HTTP, bad input → 4xx naming the field."""
import base64
import hashlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridops.accounts.models import Role
from gridops.ledger import records, selectors, verify
from gridops.ledger.services import corrections, log

from .factories import user_with_role, zone_chain

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", Role.CITIZEN, Role.DISTRICT_OPERATOR, Role.COUNTER_CLERK, Role.JUSTICE_OFFICER]


@pytest.fixture
def world():
    town, grid = zone_chain()
    officer = user_with_role(Role.JUSTICE_OFFICER)
    person = corrections.supervision_create(actor=officer, data={"case_no": "C-1", "name": "王某", "zone_codes": [town.code]})
    checkin = corrections.checkin_submit(actor=officer, person=person, lon=113.105, lat=23.005)
    notary_entry = log.append_record("notary", records.notary_record("ab" * 32, ""))
    log.sign_head()
    return {"town": town, "checkin_entry": checkin.entry_id, "notary_entry": notary_entry.index}


def client_for(role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(user_with_role(role))
    return client


VENDOR = {"name": "菜档", "licence_no": "L1", "market": "市场", "stall_no": "1", "lon": 113.105, "lat": 23.005}

# (name, method, url name, url kwargs from world, body) → expected status per role (ROLES order)
MATRIX = [
    ("public key", "get", "public-key", None, None, [200, 200, 200, 200, 200]),
    ("heads", "get", "heads", None, None, [200, 200, 200, 200, 200]),
    ("latest head", "get", "head-latest", None, None, [200, 200, 200, 200, 200]),
    ("vendors map", "get", "vendors", None, None, [200, 200, 200, 200, 200]),
    ("register vendor", "post", "vendors", None, VENDOR, [401, 403, 201, 403, 403]),
    ("check-ins map", "get", "checkins", None, None, [401, 403, 403, 403, 200]),
    ("supervised persons", "get", "persons", None, None, [401, 403, 403, 403, 200]),
    ("add supervision", "post", "persons", None, {"case_no": "C-9", "name": "某", "zone_codes": ["TOWN"]}, [401, 403, 403, 403, 201]),
    ("check-in entry", "get", "entry", "checkin_entry", None, [404, 404, 404, 404, 200]),
    ("notary entry", "get", "entry", "notary_entry", None, [200, 200, 200, 200, 200]),
    ("notarise", "post", "notarisations", None, {"sha256": "cd" * 32}, [401, 201, 201, 201, 201]),
    ("attest identity", "post", "identity-attest", None, {"user_id": "SELF", "id_number": "11010519491231002X"}, [401, 403, 201, 201, 403]),
    ("my identity", "get", "identity-me", None, None, [401, 200, 200, 200, 200]),
    ("export", "get", "export", None, None, [200, 200, 200, 200, 200]),
]


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
@pytest.mark.parametrize("name,method,url_name,arg,body,expected", MATRIX, ids=[m[0] for m in MATRIX])
def test_permission_matrix(world, role_index, role, name, method, url_name, arg, body, expected):
    client = client_for(role)
    url = reverse(f"ledger-api:{url_name}", args=[world[arg]] if arg else [])
    if body is not None:
        body = dict(body)
        if body.get("zone_codes") == ["TOWN"]:
            body["zone_codes"] = [world["town"].code]
        if body.get("user_id") == "SELF":
            body["user_id"] = user_with_role(Role.CITIZEN).pk
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
    assert response.status_code == expected[role_index], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message", "field"}


def test_export_hides_restricted_leaves_except_from_justice_officers(world):
    url = reverse("ledger-api:export")
    public = client_for(Role.CITIZEN).get(url).json()
    entry = public["entries"][world["checkin_entry"]]
    assert "leaf" not in entry and len(entry["leaf_hash"]) == 64
    assert "leaf" in client_for(Role.JUSTICE_OFFICER).get(url).json()["entries"][world["checkin_entry"]]


def test_export_pages_by_start_and_limit_with_links(world):
    """`?start=&limit=` as before (core.pagination.StartLimitPagination); the pages link each other."""
    for n in range(5):
        log.append_record("notary", records.notary_record(f"{n:02x}" * 32, ""))
    url = reverse("ledger-api:export")
    whole = client_for("anonymous").get(url).json()["entries"]
    page = client_for("anonymous").get(url, {"start": 2, "limit": 3})
    assert [e["index"] for e in page.json()["entries"]] == [e["index"] for e in whole[2:5]] == [2, 3, 4]
    links = page["Link"]
    assert 'start=5' in links.split(", ")[0] and links.split(", ")[0].endswith('rel="next"')
    assert 'rel="prev"' in links and "start=2" not in links
    last = client_for("anonymous").get(url, {"start": len(whole) - 1, "limit": 3})
    assert len(last.json()["entries"]) == 1 and 'rel="next"' not in last.get("Link", "")
    for params, field in (({"limit": 0}, "limit"), ({"start": -1}, "start"), ({"limit": "x"}, "limit")):
        bad = client_for("anonymous").get(url, params)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == field


def test_heads_and_checkins_page_with_links(world):
    log.sign_head()
    heads = client_for("anonymous").get(reverse("ledger-api:heads"), {"limit": 1})
    assert len(heads.json()["heads"]) == 1 and 'rel="next"' in heads["Link"]
    checkins = client_for(Role.JUSTICE_OFFICER).get(reverse("ledger-api:checkins"), {"limit": 1})
    assert checkins.json()["type"] == "FeatureCollection" and len(checkins.json()["features"]) == 1


def test_notarisation_receipt_over_http_verifies(world):
    digest = hashlib.sha256(b"doc").hexdigest()
    receipt = client_for(Role.CITIZEN).post(reverse("ledger-api:notarisations"), {"sha256": digest}, format="json").json()
    key = verify.load_public_key(client_for("anonymous").get(reverse("ledger-api:public-key")).json()["public_key"])
    assert verify.verify_receipt(receipt, key, b"doc") == []
    found = client_for("anonymous").get(reverse("ledger-api:notarisations"), {"sha256": digest}).json()
    assert [r["entry"]["index"] for r in found["receipts"]] == [receipt["entry"]["index"]]


def test_consistency_between_two_heads_verifies(world):
    first = selectors.latest_head()
    log.append_leaves([("notary", b"{}")] * 6)
    second = log.sign_head()
    body = client_for("anonymous").get(reverse("ledger-api:consistency"), {"first": first.tree_size, "second": second.tree_size}).json()
    from gridops.ledger import merkle

    proof = [bytes.fromhex(p) for p in body["proof"]]
    assert merkle.verify_consistency(first.tree_size, second.tree_size, bytes(first.root_hash), bytes(second.root_hash), proof)
    assert body["first_head"]["root_hash"] == bytes(first.root_hash).hex()


def test_vendor_detail_and_qr_codes(world):
    operator = client_for(Role.DISTRICT_OPERATOR)
    code = operator.post(reverse("ledger-api:vendors"), VENDOR, format="json").json()["id"]
    log.sign_head()
    detail = client_for("anonymous").get(reverse("ledger-api:vendor", args=[code])).json()
    assert detail["properties"]["state"] == "verified" and detail["receipt"]["entry"]["index"] == detail["properties"]["entry"]
    svg = client_for("anonymous").get(reverse("ledger-api:vendor-qr", args=[code, "svg"]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client_for("anonymous").get(reverse("ledger-api:vendor-qr", args=[code, "png"]))
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    features = client_for("anonymous").get(reverse("ledger-api:vendors")).json()
    assert features["type"] == "FeatureCollection" and features["features"][0]["properties"]["state"] == "verified"


@pytest.mark.parametrize("url_name,method,params,field", [
    ("consistency", "get", {}, "first"),
    ("consistency", "get", {"first": "x"}, "first"),
    ("consistency", "get", {"first": 5, "second": 2}, "first"),
    ("consistency", "get", {"first": 1, "second": 10**6}, "second"),
    ("heads", "get", {"tree_size": "-1"}, "tree_size"),
    ("notarisations", "get", {"sha256": "zz"}, "sha256"),
    ("notarisations", "post", {"sha256": ""}, "sha256"),
    ("vendors", "post", {**VENDOR, "lat": "north"}, "lat"),  # the field at fault (was "lon" for either)
    ("checkins", "post", {"case_no": "C-1", "lon": 113.1}, "lat"),
    ("checkins", "post", {"case_no": "nobody", "lon": 113.1, "lat": 23.0}, "case_no"),
    ("persons", "post", {"case_no": "C-2", "name": "x", "zone_codes": ["999"]}, "zone_codes"),
    ("identity-attest", "post", {"user_id": "abc"}, "user_id"),
])
def test_bad_input_is_a_400_naming_the_field(world, url_name, method, params, field):
    client = client_for(Role.JUSTICE_OFFICER if url_name in ("checkins", "persons") else Role.DISTRICT_OPERATOR)
    url = reverse(f"ledger-api:{url_name}")
    response = client.post(url, params, format="json") if method == "post" else client.get(url, params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field


def test_unknown_entry_head_and_qr_format(world):
    anon = client_for("anonymous")
    assert anon.get(reverse("ledger-api:entry", args=[10**9])).status_code == 404
    assert anon.get(reverse("ledger-api:entry", args=[0]), {"tree_size": 999}).status_code == 404
    assert anon.get(reverse("ledger-api:vendor", args=["NOPE"])).status_code == 404
    operator = client_for(Role.DISTRICT_OPERATOR)
    code = operator.post(reverse("ledger-api:vendors"), VENDOR, format="json").json()["id"]
    assert anon.get(reverse("ledger-api:vendor-qr", args=[code, "gif"])).status_code == 400
