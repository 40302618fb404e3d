"""`?batch=1` sockets (docs/websocket.md): several events in one frame, as a JSON array.

Against the real ASGI app and Redis stream: a burst committed together reaches a batching socket in
fewer frames than events, in id order, each once; a socket that did not ask gets one object per
frame, as before; a reconnect's replay comes in frames of at most `GRIDOPS_REALTIME_BATCH_SIZE`.
"""
import json

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from gridops.realtime.services import publish_event

from .test_consumers import NANZHUANG_INCIDENT, connect, session_cookie
from .users import build_people

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    return build_people()


async def open_socket(user, query: str):
    cookie = await database_sync_to_async(session_cookie)(user)
    communicator, connected, _ = await connect(f"/ws/events/?{query}", cookie)
    assert connected
    hello = json.loads(await communicator.receive_from(timeout=5))
    assert hello["kind"] == "realtime.hello"
    return communicator, hello


async def frames(communicator, wait=0.6) -> list:
    """Every frame (decoded) that arrives within `wait` seconds of the previous one."""
    out = []
    while not await communicator.receive_nothing(timeout=wait):
        out.append(json.loads(await communicator.receive_from()))
    return out


def events_of(received: list) -> list[dict]:
    return [event for frame in received for event in (frame if isinstance(frame, list) else [frame])]


@database_sync_to_async
def publish_burst(n: int) -> list[int]:
    """n events committed in one transaction: their appends reach the stream back to back."""
    with transaction.atomic():
        events = [publish_event(kind="incident.created", payload={"n": i}, audiences=NANZHUANG_INCIDENT)
                  for i in range(n)]
    return [event.id for event in events]


async def test_a_burst_reaches_a_batching_socket_in_fewer_frames_in_order_once(people, settings):
    # A wide coalescing window, so the burst is read in one or two stream reads on any machine.
    settings.GRIDOPS_REALTIME_COALESCE_MS = 300
    operator = people["users"]["nanzhuang"]
    batching, hello = await open_socket(operator, "batch=1")
    plain, plain_hello = await open_socket(operator, "")
    assert hello["batch"] is True and plain_hello["batch"] is False

    ids = await publish_burst(12)

    got = await frames(batching)
    assert [event["id"] for event in events_of(got)] == ids
    assert len(got) < len(ids), f"{len(got)} frames for {len(ids)} events"
    assert any(isinstance(frame, list) and len(frame) > 1 for frame in got)
    assert all("committed_at" in event for event in events_of(got))

    plain_got = await frames(plain)
    assert all(isinstance(frame, dict) for frame in plain_got)
    assert [frame["id"] for frame in plain_got] == ids
    await batching.disconnect()
    await plain.disconnect()


async def test_replay_comes_in_frames_of_at_most_the_batch_size(people, settings):
    settings.GRIDOPS_REALTIME_BATCH_SIZE = 4
    operator = people["users"]["nanzhuang"]
    first = await database_sync_to_async(publish_event)(kind="incident.created", payload={}, audiences=NANZHUANG_INCIDENT)
    missed = await publish_burst(10)

    communicator, hello = await open_socket(operator, f"batch=1&last_id={first.id}")
    got = await frames(communicator)
    replayed = [event["id"] for event in events_of(got) if event["id"] != first.id]  # grace window
    assert replayed == missed
    assert hello["replayed"] == len(events_of(got))
    assert all(len(frame) <= 4 for frame in got if isinstance(frame, list))
    assert len(got) < len(events_of(got))
    await communicator.disconnect()
