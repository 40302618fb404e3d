"""The per-process hub: one stream subscription per process, id order, nothing lost, isolation."""
import asyncio

import pytest
from channels.db import database_sync_to_async

from gridops.realtime import committed, stream
from gridops.realtime.hub import Hub, Sequencer
from gridops.realtime.models import Event

from .test_consumers import ZUMIAO_INCIDENT, drain, open_as, people, publish  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


async def _until(condition, timeout: float = 10.0) -> bool:
    """Wait for the hub's background gap read (a thread hop to the database: slow on a loaded
    machine, where a fixed 0.5 s sleep failed now and then)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.02)
    return condition()


def _event(event_id: int) -> dict:
    return {"id": event_id, "kind": "k", "payload": {}, "audiences": ["district"]}


async def test_sequencer_releases_in_id_order_and_waits_briefly_for_a_missing_id(settings):
    settings.GRIDOPS_REALTIME_REORDER_WAIT = 0.1
    rows = [await database_sync_to_async(Event.objects.create)(kind="k", payload={}, audiences=["district"])
            for _ in range(5)]
    ids = [row.id for row in rows]
    released = []
    sequencer = Sequencer(lambda event: released.append(event["id"]))
    sequencer.push(_event(ids[0]))
    sequencer.push(_event(ids[2]))  # ids[1] committed later: held back
    assert released == [ids[0]]
    sequencer.push(_event(ids[1]))
    assert released == ids[:3]
    # ids[3] never reaches the stream (an append lost): the hub finds it in the table.
    sequencer.push(_event(ids[4]))
    assert await _until(lambda: released == ids), released
    # An id that is in no table (rolled back) only delays what follows by the wait.
    sequencer.push(_event(ids[4] + 2))
    assert await _until(lambda: released == ids + [ids[4] + 2]), released
    # What turns up after its id was passed is still delivered (late, not lost).
    sequencer.push(_event(ids[4] + 1))
    assert released[-1] == ids[4] + 1 and sequencer.late == 1


async def test_sequencer_takes_an_id_from_the_stream_and_the_table_at_once(settings):
    """A missing id that the stream brings while the gap is being read from the table arrives
    twice; it is released once and the sequencer keeps going (it used to compare the two dicts
    in its heap, and the gap task died with a TypeError)."""
    settings.GRIDOPS_REALTIME_REORDER_WAIT = 0.05
    released = []

    async def fetch(ids):
        # The stream delivers 2 and 3 during the table read; the table has 2 and 3 too.
        sequencer.push(_event(3))
        sequencer.push(_event(2))
        return [_event(event_id) for event_id in ids if event_id in (2, 3)]

    sequencer = Sequencer(lambda event: released.append(event["id"]), fetch=fetch)
    sequencer.push(_event(1))
    sequencer.push(_event(4))
    sequencer.push(_event(3))  # held as well: 3 is then pending twice
    assert await _until(lambda: released == [1, 2, 3, 4]), released
    sequencer.push(_event(5))
    assert released == [1, 2, 3, 4, 5] and sequencer.next_id == 6


async def test_one_stream_reader_for_all_sockets_of_a_process(people, settings):
    settings.GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS = 0
    sockets = [(await open_as(people["users"][name]))[0] for name in ("district", "zumiao", "worker_zm", "dept_cg")]
    readers = [c for c in stream.client().client_list() if c.get("name", "").startswith(stream.stream_key() + ":hub:")]
    assert len(readers) == 1
    event = await publish(kind="incident.created", payload={}, audiences=ZUMIAO_INCIDENT)
    for socket in sockets:
        assert [m["id"] for m in await drain(socket)] == [event.id]
        await socket.disconnect()


async def test_test_events_never_reach_a_differently_prefixed_stream(people, settings):
    """Tests, benches and the served demo use their own namespace: a test run's event cannot
    reach a server listening on another prefix (the demo's `gridops:events` here)."""
    from gridops.settings import base

    assert settings.REDIS_NAMESPACE != base.REDIS_NAMESPACE
    assert settings.CACHES["default"]["KEY_PREFIX"] == settings.REDIS_NAMESPACE
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"].startswith(settings.REDIS_NAMESPACE)

    class Listener:
        audiences = ["district"]
        user_id = 0
        credential = "token"

        def __init__(self):
            self.heard = []

        def offer(self, event):
            self.heard.append(event["id"])

        def revoke(self, code, reason):
            pass

    served, ours = Listener(), Listener()
    await Hub(key=stream.stream_key(base.REDIS_NAMESPACE)).attach(served)
    await Hub().attach(ours)
    event = await publish(kind="incident.created", payload={}, audiences=["district"])
    assert await _until(lambda: ours.heard == [event.id]), ours.heard
    await asyncio.sleep(0.2)  # the other hub had as long, and more, to hear it
    assert served.heard == []


async def test_the_hub_tells_its_process_what_other_processes_committed(people, settings):
    """Another process's commit reaches this one only through the stream: the hub's delivery moves
    the family's counter (`committed`), which the tiles' remembered data version is checked against."""
    settings.GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS = 0
    communicator, _ = await open_as(people["users"]["district"])
    before = committed.changes("incident")
    row = await database_sync_to_async(Event.objects.create)(kind="incident.updated", payload={},
                                                             audiences=["district"])
    stream.append([stream.event_entry(row)])  # as the other process's after-commit append does
    message = await communicator.receive_json_from(timeout=5)
    assert message["id"] == row.id
    assert committed.changes("incident") > before
    await communicator.disconnect()
