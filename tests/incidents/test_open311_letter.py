"""Open311 GeoReport v2 to the letter (issue 14): keys issued, hashed and revoked; address-only
requests; media_url; the public text left alone; 403 for keys; discovery XML; a real changeset;
jurisdiction_id in JSON bodies; HEAD; paging beyond the cap. Deviations: docs/open311.md."""
from io import StringIO
from xml.etree import ElementTree as ET

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from gridops.incidents.catalogue import DEMO_DIR, import_catalogue
from gridops.incidents.models import EventType, Incident
from gridops.incidents.open311.models import Open311Key
from gridops.incidents.open311.serializers import w3c

from .factories import NZ_POINT
from .open311_support import url

KEY = "bootstrap-key-1"


@pytest.fixture(autouse=True)
def bootstrap_key(settings):
    settings.GRIDOPS_OPEN311_API_KEYS = {KEY: "bootstrap-app"}


def post(client, *, json_body=False, **params):
    data = {"api_key": KEY, "service_code": "0101001", "lat": NZ_POINT[1], "long": NZ_POINT[0]} | params
    data = {k: v for k, v in data.items() if v is not None}
    if json_body:
        return client.post(url("open311-requests"), data, content_type="application/json")
    return client.post(url("open311-requests"), data)


def error_of(response, status):
    assert response.status_code == status, response.content[:300]
    [error] = response.json()
    assert error["code"] == status
    return error["description"]


# --- keys --------------------------------------------------------------------------------------

def key_command(*args) -> str:
    out = StringIO()
    call_command("open311_key", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_key_issued_by_the_command_works_is_stored_hashed_and_can_be_revoked(client, world):
    raw = key_command("create", "城市通 app").strip()
    prefix = raw.split(".")[0]
    key = Open311Key.objects.get(prefix=prefix)
    stored = " ".join(str(v) for v in Open311Key.objects.values_list().get(pk=key.pk))
    assert raw not in stored and raw.split(".")[1] not in stored  # only the prefix and a hash
    assert key.hashed_key.startswith("sha512$$")

    response = post(client, api_key=raw)
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()[0]["service_request_id"])
    assert incident.open311.key == key and incident.open311.client == "城市通 app"
    assert f"{prefix}\t城市通 app\tactive" in key_command("list")

    assert "revoked" in key_command("revoke", prefix)
    assert "api_key" in error_of(post(client, api_key=raw), 403)
    assert f"{prefix}\t城市通 app\trevoked" in key_command("list")
    with pytest.raises(CommandError):
        key_command("revoke", prefix)


def test_an_expired_key_is_refused(client, world):
    raw = key_command("create", "short-lived", "--days", "1").strip()
    Open311Key.objects.update(expiry_date=timezone.now() - timezone.timedelta(minutes=1))
    error_of(post(client, api_key=raw), 403)


def test_a_key_issued_in_the_admin_is_shown_once_and_revoked_there(client, world):
    admin = world["users"]["admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    response = client.post(reverse("admin:open311_open311key_add"), {"name": "街坊通"}, follow=True)
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"] if "you will not be able to see it again" in str(m)]
    raw = message.split("is: ")[1].split(". ")[0]
    key = Open311Key.objects.get(name="街坊通")
    assert raw.startswith(key.prefix + ".") and raw not in key.hashed_key
    client.logout()
    assert post(client, api_key=raw).status_code == 201

    client.force_login(admin)
    change = reverse("admin:open311_open311key_change", args=[key.pk])
    response = client.post(change, {"name": "街坊通", "revoked": "on"}, follow=True)
    assert response.status_code == 200 and Open311Key.objects.get(pk=key.pk).revoked
    client.logout()
    error_of(post(client, api_key=raw), 403)


@pytest.mark.parametrize("api_key", [None, "", "nope", "abc.def"])
def test_a_missing_or_unknown_key_is_403(client, world, api_key):
    assert "api_key" in error_of(post(client, api_key=api_key), 403)
    assert not Incident.objects.exists()


# --- what a request carries --------------------------------------------------------------------

def test_address_string_alone_places_the_request_on_the_named_community(client, world):
    response = post(client, lat=None, long=None, address_string="佛山市禅城区南庄镇一社区紫洞路3号")
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()[0]["service_request_id"])
    assert incident.town.code == "440604101" and incident.grid.code.startswith("44060410101001")
    assert incident.address == "佛山市禅城区南庄镇一社区紫洞路3号" and incident.open311.located_by_address
    # a micro-grid's name is finer than its community's and wins
    response = post(client, lat=None, long=None, address_string="祖庙街道第2网格旁")
    assert Incident.objects.get(pk=response.json()[0]["service_request_id"]).grid.code == "44060400101001002"


@pytest.mark.parametrize("address,fragment", [("北京市朝阳区", "address_string"),
                                              ("南庄镇某路1号", "address_string"),  # a town is too large
                                              ("", "lat and long")])
def test_an_address_naming_no_community_is_a_400(client, world, address, fragment):
    assert fragment in error_of(post(client, lat=None, long=None, address_string=address), 400)
    assert not Incident.objects.exists()


def test_media_url_is_stored_and_returned_and_the_description_left_alone(client, world):
    photo = "https://img.example.org/p/1.jpg?size=large"
    response = post(client, media_url=photo, description="井盖丢了")
    request_id = response.json()[0]["service_request_id"]
    assert Incident.objects.get(pk=request_id).description == "井盖丢了"
    [item] = client.get(url("open311-request", service_request_id=request_id)).json()
    assert item["media_url"] == photo and item["description"] == "井盖丢了"
    assert "via Open311" not in client.get(url("open311-requests")).content.decode()
    root = ET.fromstring(client.get(url("open311-request", "xml", service_request_id=request_id)).content)
    assert root.find("request").findtext("media_url") == photo


@pytest.mark.parametrize("media_url", ["javascript:alert(1)", "not a url", "ftp://x.org/a.jpg", "https://x.org/" + "a" * 2000])
def test_a_bad_media_url_is_a_400(client, world, media_url):
    assert "media_url" in error_of(post(client, media_url=media_url), 400)


def test_json_bodies_check_jurisdiction_id(client, world):
    assert "jurisdiction_id" in error_of(post(client, json_body=True, jurisdiction_id="nanhai.example"), 404)
    assert not Incident.objects.exists()
    assert post(client, json_body=True, jurisdiction_id="chancheng.foshan.gov.cn").status_code == 201


# --- discovery, changeset, HEAD, paging --------------------------------------------------------

def test_discovery_xml_uses_the_specs_elements(client, world):
    root = ET.fromstring(client.get(url("open311-discovery", "xml")).content)
    assert root.tag == "discovery"
    [endpoint] = root.find("endpoints").findall("endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.find("formats").findall("format")] == ["application/json", "text/xml"]
    assert root.find(".//item") is None


def test_changeset_is_when_the_definitions_last_changed(client, db):
    assert import_catalogue(DEMO_DIR, commit=True).ok
    first = client.get(url("open311-discovery")).json()
    last = EventType.objects.exclude(category__kind="social").order_by("-updated_at").first()
    assert first["changeset"] == w3c(last.updated_at) == first["endpoints"][0]["changeset"]
    assert import_catalogue(DEMO_DIR, commit=True).ok  # nothing changed: the changeset stays
    assert client.get(url("open311-discovery")).json()["changeset"] == first["changeset"]
    later = timezone.now() + timezone.timedelta(days=1)
    EventType.objects.filter(pk=last.pk).update(updated_at=later)
    assert client.get(url("open311-discovery")).json()["changeset"] == w3c(later)


@pytest.mark.parametrize("name,kwargs", [("open311-discovery", {}), ("open311-services", {}),
                                         ("open311-service", {"service_code": "0101001"}),
                                         ("open311-requests", {})])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_head_answers_what_get_would_without_the_body(client, world, name, kwargs, fmt):
    get = client.get(url(name, fmt, **kwargs))
    head = client.head(url(name, fmt, **kwargs))
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and int(head["Content-Length"]) == len(get.content)
    assert head["Content-Type"] == get["Content-Type"]


def test_a_full_list_links_to_the_next_page(client, world, settings):
    settings.GRIDOPS_OPEN311_MAX_REQUESTS = 2
    ids = [int(post(client).json()[0]["service_request_id"]) for _ in range(3)]
    first = client.get(url("open311-requests"), {"status": "open"})
    assert [int(r["service_request_id"]) for r in first.json()] == ids[:0:-1]
    assert first["Link"].endswith('; rel="next"') and "page=2" in first["Link"] and "status=open" in first["Link"]
    second = client.get(first["Link"].split(">")[0].lstrip("<").split("testserver")[1])
    assert [int(r["service_request_id"]) for r in second.json()] == ids[:1]
    assert "Link" not in second


@pytest.mark.parametrize("page", ["0", "-1", "x", "100001"])
def test_a_bad_page_is_a_400(client, world, page):
    assert "page" in error_of(client.get(url("open311-requests"), {"page": page}), 400)
