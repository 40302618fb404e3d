"""The one ingest path (services.readings_ingest_batch), which HTTP's single reading also takes."""
import pytest

from gridops.core.errors import InvalidInput, NotFound
from gridops.incidents.models import Incident, Source
from gridops.sensors import services
from gridops.sensors.models import Reading

pytestmark = pytest.mark.django_db


def labels(outcomes):
    return [outcome.label for outcome in outcomes]


def test_a_batch_answers_each_item_and_stores_each_reading_once(district):
    outcomes = services.readings_ingest_batch([
        {"device": "ZM1", "id": "a", "value": 1},
        {"device": "ZM1", "id": "a", "value": 1},  # the same reading twice in one batch
        {"device": "NZ1", "id": "a", "value": "2.5"},
        {"device": "ZM1", "id": "", "value": 1},
        {"device": "ZM1", "id": "b", "value": "hot"},
        {"device": "ZM1", "id": "c", "value": 1, "at": "2999-01-01T00:00:00Z"},
        {"device": "nope", "id": "d", "value": 1},
        {"device": "Z\x00M1", "id": "e", "value": 1},
    ], via="mqtt")
    assert [label.split(":")[:2] for label in labels(outcomes)] == [
        ["stored"], ["stored"], ["stored"], ["rejected", " id"], ["rejected", " value"],
        ["rejected", " measured_at"], ["rejected", " device"], ["rejected", " device"]]
    assert [o.created for o in outcomes[:3]] == [True, False, True]
    assert outcomes[1].reading is outcomes[0].reading
    assert sorted(Reading.objects.values_list("device__code", "reading_id", "value")) == [("NZ1", "a", 2.5), ("ZM1", "a", 1.0)]
    zm1 = district["devices"]["ZM1"]
    zm1.refresh_from_db()
    assert zm1.last_value == 1.0 and zm1.last_seen_at is not None


def test_single_and_batch_share_what_is_stored(district):
    [first] = services.readings_ingest_batch([{"device": "ZM1", "id": "r1", "value": 3}], via="mqtt")
    reading, created = services.reading_ingest(device="ZM1", reading_id="r1", value=3, via="http")
    assert first.created and not created and reading.pk == first.reading.pk and reading.via == "mqtt"
    with pytest.raises(NotFound) as missing:
        services.reading_ingest(device="nope", reading_id="r1", value=3, via="http")
    assert missing.value.field == "device"
    with pytest.raises(InvalidInput) as bad:
        services.reading_ingest(device="ZM1", reading_id="x" * 65, value=3, via="http")
    assert bad.value.field == "id"


def test_alarms_in_a_batch_open_one_incident_and_the_rest_join(district):
    outcomes = services.readings_ingest_batch([
        {"device": "ZM1", "id": "1", "value": 20}, {"device": "ZM1", "id": "2", "value": 3},
        {"device": "ZM1", "id": "3", "value": 25}, {"device": "ZM1", "id": "1", "value": 20},
    ], via="mqtt")
    assert labels(outcomes) == ["stored"] * 4 and [o.created for o in outcomes] == [True, True, True, False]
    first, plain, second, retry = (o.reading for o in outcomes)
    assert first.breach and first.opened and second.breach and not second.opened
    assert first.incident_id == second.incident_id and plain.incident_id is None and retry.pk == first.pk
    assert Incident.objects.filter(source=Source.SENSOR).count() == 1
    reading, created = services.reading_ingest(device="ZM1", reading_id="3", value=25, via="http")
    assert not created and reading.incident_id == first.incident_id
