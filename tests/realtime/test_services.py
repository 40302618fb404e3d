"""publish_event: recorded in the caller's transaction, appended to the stream after commit,
never lost to Redis (the real Redis stream of the test namespace is read back)."""
import time

import pytest
from django.db import transaction

from gridops.core.errors import InvalidInput
from gridops.realtime import stream
from gridops.realtime.models import Event
from gridops.realtime.services import events_prune, publish_event

pytestmark = pytest.mark.django_db


def _stream_tail() -> bytes:
    newest = stream.client().xrevrange(stream.stream_key(), count=1)
    return newest[0][0] if newest else b"0-0"


def _appended_since(tail: bytes) -> list[tuple[str, dict]]:
    entries = stream.client().xrange(stream.stream_key(), min=b"(" + tail)
    return [stream.decode(fields) for _id, fields in entries]


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.GRIDOPS_REALTIME_PUSH_INLINE = True  # appended before the assertion


def test_event_is_recorded_with_district_added_and_appended_after_commit(django_capture_on_commit_callbacks):
    tail = _stream_tail()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = publish_event(kind="incident.created", payload={"id": 7}, audiences=["town.440604101"])
    assert Event.objects.get(pk=event.pk).audiences == ["district", "town.440604101"]
    assert len(callbacks) == 1 and _appended_since(tail) == []  # nothing is pushed before commit
    before = time.time()
    callbacks[0]()
    [(field, body)] = _appended_since(tail)
    assert before <= body.pop("committed_at") <= time.time()  # for commit -> arrival latency
    assert (field, body) == (stream.EVENT_FIELD, {
        "id": event.id, "kind": "incident.created", "payload": {"id": 7}, "audiences": ["district", "town.440604101"],
    })


def test_ids_increase():
    first = publish_event(kind="x.a", payload={}, audiences=[])
    second = publish_event(kind="x.b", payload={}, audiences=[])
    assert second.id > first.id


def test_rolled_back_event_is_neither_recorded_nor_pushed(django_capture_on_commit_callbacks):
    tail = _stream_tail()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_event(kind="incident.created", payload={}, audiences=["public"])
            raise RuntimeError("boom")
    assert callbacks == []
    assert not Event.objects.exists()
    assert _appended_since(tail) == []


def test_payload_dates_become_text():
    import datetime

    event = publish_event(kind="k.x", payload={"at": datetime.date(2024, 5, 1)}, audiences=[])
    assert Event.objects.get(pk=event.pk).payload == {"at": "2024-05-01"}


@pytest.mark.parametrize("bad", [["town 1"], ["bogus"], ["user."], "district", [None]])
def test_bad_audiences_are_refused(bad):
    with pytest.raises(InvalidInput) as info:
        publish_event(kind="k.x", payload={}, audiences=bad)
    assert info.value.field == "audiences"


def test_redis_down_does_not_fail_the_write(settings, django_capture_on_commit_callbacks, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with django_capture_on_commit_callbacks(execute=True):
        event = publish_event(kind="incident.created", payload={"n": 1}, audiences=["public"])
    assert Event.objects.filter(pk=event.pk).exists()
    assert "not appended" in caplog.text


def test_prune_removes_only_old_events(settings):
    import datetime

    from django.utils import timezone

    old = publish_event(kind="k.old", payload={}, audiences=[])
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    new = publish_event(kind="k.new", payload={}, audiences=[])
    settings.GRIDOPS_REALTIME_RETENTION_DAYS = 14
    assert events_prune() == 1
    assert list(Event.objects.values_list("id", flat=True)) == [new.id]
