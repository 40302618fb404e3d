"""A third-party GeoReport v2 client against the live server (uvicorn, tests/browser_support.py).

`georeport` (PyPI, pinned in the dev extras) is the maintained Python 3 wrapper; it reads but
cannot create requests ("does not support the creation of new 311 service requests"), and the
older `three` and `open311` wrappers are Python 2 only. So the write is the spec's own
form-encoded POST sent with `requests` (georeport's HTTP library), and everything is read back
through georeport, in JSON and in XML (parsed by its xmltodict).
"""
import pytest
import requests
from georeport import GeoReport

from gridops.incidents.open311 import keys

from .factories import NZ_POINT, build_world

pytestmark = pytest.mark.django_db(transaction=True)
JURISDICTION = "chancheng.foshan.gov.cn"


@pytest.fixture
def live_world(tiny_district):
    return build_world(tiny_district)


def test_georeport_client_round_trip(asgi_server, live_world):
    _, raw_key = keys.key_issue(name="georeport round trip")
    root = f"{asgi_server.url}/open311/v2"
    client = GeoReport(root, jurisdiction=JURISDICTION, api_key=raw_key)

    services = client.get_service_list()
    assert {s["service_code"] for s in services} == {"0101001", "0101002", "0901001"}
    # requests (georeport's HTTP library) asks for gzip, as clients do: the list comes compressed
    # and decodes to the same services.
    packed = requests.get(f"{root}/services.json", timeout=10)
    assert packed.headers["Content-Encoding"] == "gzip" and packed.json() == services
    assert client.get_service_definition("0101001") == {"service_code": "0101001", "attributes": []}

    photo = "https://img.example.org/manhole.jpg"
    created = requests.post(f"{root}/requests.json", data={
        "api_key": client.api_key, "jurisdiction_id": JURISDICTION, "service_code": "0101001",
        "lat": NZ_POINT[1], "long": NZ_POINT[0], "description": "井盖丢了", "media_url": photo,
        "first_name": "小明", "last_name": "陈", "phone": "13800000000"}, timeout=10)
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]

    item = client.get_service_request(request_id)
    assert item["service_code"] == "0101001" and item["status"] == "open"
    assert item["description"] == "井盖丢了" and item["media_url"] == photo
    assert item["lat"] == pytest.approx(NZ_POINT[1]) and item["long"] == pytest.approx(NZ_POINT[0])
    assert "13800000000" not in str(item) and "小明" not in str(item)
    listed = client.get_service_requests(service_code="0101001", status="open")
    assert request_id in {r["service_request_id"] for r in listed}

    as_xml = GeoReport(root, jurisdiction=JURISDICTION, output_format="xml")
    xml_item = as_xml.get_service_request(request_id)
    assert xml_item["service_request_id"] == request_id and xml_item["media_url"] == photo
    assert {s["service_code"] for s in as_xml.get_service_list()} == {"0101001", "0101002", "0901001"}

    refused = requests.post(f"{root}/requests.json", data={"service_code": "0101001", "lat": NZ_POINT[1],
                                                           "long": NZ_POINT[0]}, timeout=10)
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
