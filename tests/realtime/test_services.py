"""publish_event: recorded in the caller's transaction, pushed after commit, never lost to Redis."""
import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from gridops.core.errors import InvalidInput
from gridops.realtime.models import Event
from gridops.realtime.services import events_prune, publish_event

pytestmark = pytest.mark.django_db


async def _listen(groups):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    return channel


async def _receive(channel, timeout=2.0):
    return await asyncio.wait_for(get_channel_layer().receive(channel), timeout)


def test_event_is_recorded_with_district_added_and_pushed_after_commit(django_capture_on_commit_callbacks):
    channel = async_to_sync(_listen)(["aud.town.440604101", "aud.district"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = publish_event(kind="incident.created", payload={"id": 7}, audiences=["town.440604101"])
    assert Event.objects.get(pk=event.pk).audiences == ["district", "town.440604101"]
    assert len(callbacks) == 1  # nothing is pushed before commit
    callbacks[0]()
    received = {async_to_sync(_receive)(channel)["id"], async_to_sync(_receive)(channel)["id"]}
    assert received == {event.id}


def test_message_shape(django_capture_on_commit_callbacks):
    channel = async_to_sync(_listen)(["aud.dept.cg"])
    with django_capture_on_commit_callbacks(execute=True):
        event = publish_event(kind="incident.updated", payload={"status": "dispatched"}, audiences=["dept.cg"])
    assert async_to_sync(_receive)(channel) == {
        "type": "event.message", "id": event.id, "kind": "incident.updated", "payload": {"status": "dispatched"},
    }


def test_ids_increase():
    first = publish_event(kind="x.a", payload={}, audiences=[])
    second = publish_event(kind="x.b", payload={}, audiences=[])
    assert second.id > first.id


def test_rolled_back_event_is_neither_recorded_nor_pushed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_event(kind="incident.created", payload={}, audiences=["public"])
            raise RuntimeError("boom")
    assert callbacks == []
    assert not Event.objects.exists()


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
    settings.GRIDOPS_REALTIME_PUSH_INLINE = True  # the failure is logged before the assertion
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    with django_capture_on_commit_callbacks(execute=True):
        event = publish_event(kind="incident.created", payload={"n": 1}, audiences=["public"])
    assert Event.objects.filter(pk=event.pk).exists()
    assert "failed" in caplog.text


def test_prune_removes_only_old_events(settings):
    import datetime

    from django.utils import timezone

    old = publish_event(kind="k.old", payload={}, audiences=[])
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    new = publish_event(kind="k.new", payload={}, audiences=[])
    settings.GRIDOPS_REALTIME_RETENTION_DAYS = 14
    assert events_prune() == 1
    assert list(Event.objects.values_list("id", flat=True)) == [new.id]
