"""Readings over HTTP: the device key, once per reading id, a breach opens or joins an incident."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridops.incidents.models import Incident, Source
from gridops.sensors import keys, services
from gridops.sensors.models import DeviceKey, Reading

pytestmark = pytest.mark.django_db
URL = "/api/v1/sensors/readings/"


def post(key, body):
    return Client().post(URL, body, content_type="application/json",
                         **({"HTTP_AUTHORIZATION": f"Api-Key {key}"} if key else {}))


def test_a_device_key_is_required_and_revocable(district):
    device = district["devices"]["ZM1"]
    assert post(None, {"id": "1", "value": 1}).status_code == 401
    assert post("nope.nope", {"id": "1", "value": 1}).status_code == 403
    key = keys.key_issue(device)
    assert post(key, {"id": "1", "value": 1}).status_code == 201
    DeviceKey.objects.filter(device=device).update(revoked=True)
    assert post(key, {"id": "2", "value": 1}).status_code == 403


def test_a_reading_is_stored_once_and_a_breach_opens_then_joins(district):
    key = keys.key_issue(district["devices"]["ZM1"])
    assert post(key, {"id": "r1", "value": 3.0}).json()["incident"] is None
    first = post(key, {"id": "r2", "value": 22.5})
    assert first.status_code == 201 and first.json()["opened"] is True
    incident = Incident.objects.get(pk=first.json()["incident"])
    assert incident.source == Source.SENSOR and incident.grid.code == district["devices"]["ZM1"].grid.code
    assert incident.department is not None and "22.5" in incident.description
    retry = post(key, {"id": "r2", "value": 22.5})
    assert retry.status_code == 200 and retry.json()["incident"] == incident.pk
    again = post(key, {"id": "r3", "value": 30})
    assert again.json() == {"device": "ZM1", "id": "r3", "breach": True, "incident": incident.pk, "opened": False}
    assert Incident.objects.filter(source=Source.SENSOR).count() == 1 and Reading.objects.count() == 3


@pytest.mark.parametrize("body, field", [
    ({"id": "x", "value": "hot"}, "value"), ({"value": 1}, "id"), ({"id": "", "value": 1}, "id"),
    ({"id": "x" * 65, "value": 1}, "id"), ({"id": "x", "value": 1, "at": "2999-01-01T00:00:00+08:00"}, "measured_at"),
    ({"id": "x", "value": 1, "at": "yesterday"}, "measured_at"),
])
def test_bad_readings_name_the_field(district, body, field):
    response = post(keys.key_issue(district["devices"]["NZ1"]), body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    assert Reading.objects.count() == 0


def test_a_silent_device_raises_one_maintenance_incident_until_heard(district):
    later = timezone.now() + timedelta(seconds=601)
    assert services.heartbeat_tick(later) == 2  # never heard since registered: both
    assert services.heartbeat_tick(later) == 0
    maintenance = Incident.objects.filter(event_type__code="9901001")
    assert maintenance.count() == 2 and set(maintenance.values_list("source", flat=True)) == {Source.SENSOR}
    services.reading_ingest(device="ZM1", reading_id="back", value=1.0, via="http")
    device = district["devices"]["ZM1"]
    device.refresh_from_db()
    assert device.silent_incident is None and device.last_value == 1.0
    assert services.heartbeat_tick(timezone.now() + timedelta(seconds=30)) == 0
    assert services.heartbeat_tick(timezone.now() + timedelta(seconds=700)) == 1  # silent again: a new one


def test_devices_map_is_scoped(district):
    from tests.realtime.users import signed_in

    codes = lambda who: {f["id"] for f in signed_in(district["users"][who]).get("/api/v1/sensors/devices/").json()["features"]}  # noqa: E731
    assert codes("district") == {"ZM1", "NZ1"} and codes("zumiao") == {"ZM1"} and codes("nanzhuang") == {"NZ1"}
    assert Client().get("/api/v1/sensors/devices/").status_code == 401
