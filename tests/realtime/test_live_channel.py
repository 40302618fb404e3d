"""The live channel stays open: an idle operator socket is not cut, and pushes arrive live.

redis-py 8 gave every Redis connection a 5 s read timeout, which cut the channel layer's blocking
read and closed every socket (code 1013) every 5 s; the per-socket re-read of the event table hid
it. These tests hold a socket idle against the real Redis with the re-read switched off.
"""
import pytest

from .test_consumers import open_as, people, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

IDLE_SECONDS = 60


async def test_idle_operator_socket_stays_open_and_hears_live(people, settings):  # noqa: F811
    settings.GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS = 0
    communicator, _ = await open_as(people["users"]["district"])
    # receive_nothing() is False as soon as anything (a close included) reaches the client.
    assert await communicator.receive_nothing(timeout=IDLE_SECONDS, interval=0.5)
    event = await publish(kind="incident.created", payload={"n": 1}, audiences=["town.440604001"])
    message = await communicator.receive_json_from(timeout=5)
    assert message["id"] == event.id
    await communicator.disconnect()
